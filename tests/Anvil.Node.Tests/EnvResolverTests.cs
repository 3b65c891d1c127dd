using System.Text.Json.Nodes;
using Anvil.Node.Env;
using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

public sealed class EnvResolverTests
{
    private static readonly NodeAllocatable Node = new(2, 1024, 0);

    private static FakeObjects Objects()
    {
        var o = new FakeObjects();
        o.ConfigMaps["cfg"] = FakeObjects.Obj("""{"data":{"MODE":"fast","LEVEL":"3"}}""");
        o.Secrets["sec"] = FakeObjects.Obj("""{"data":{"PASSWORD":"aHVudGVyMg=="}}""");
        return o;
    }

    private static readonly JsonObject Pod = FakeObjects.Obj("""
        {"metadata":{"name":"web","namespace":"tool-x","uid":"u1","labels":{"app":"web"}},"spec":{"nodeName":"n1","serviceAccountName":"default"}}
        """);

    private static async Task<string> Resolve(string env, string envFrom = "[]")
    {
        var c = FakeObjects.Obj("{\"name\":\"c\",\"env\":" + env + ",\"envFrom\":" + envFrom + ",\"resources\":{\"limits\":{\"memory\":\"128Mi\"}}}");
        var pairs = await EnvResolver.ResolveAsync(Pod, c, Objects(), "10.0.0.1", ["10.1.0.2"], Node, default);
        return string.Join(";", pairs.Select(p => p.Key + "=" + p.Value));
    }

    [Theory]
    [InlineData("""[{"name":"A","value":"x"},{"name":"B","value":"$(A)-$(MISSING)-$$(A)-$$"}]""", "A=x;B=x-$(MISSING)-$(A)-$")]
    [InlineData("""[{"name":"B","value":"$(A)"},{"name":"A","value":"x"}]""", "B=$(A);A=x")]
    [InlineData("""[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"NS","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}},{"name":"APP","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['app']"}}}]""", "N=web;NS=tool-x;APP=web")]
    [InlineData("""[{"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}},{"name":"SA","valueFrom":{"fieldRef":{"fieldPath":"spec.serviceAccountName"}}},{"name":"H","valueFrom":{"fieldRef":{"fieldPath":"status.hostIP"}}},{"name":"P","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}]""", "NODE=n1;SA=default;H=10.0.0.1;P=10.1.0.2")]
    [InlineData("""[{"name":"MEM","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1Mi"}}},{"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}]""", "MEM=128;CPU=2")]
    [InlineData("""[{"name":"M","valueFrom":{"configMapKeyRef":{"name":"cfg","key":"MODE"}}},{"name":"PW","valueFrom":{"secretKeyRef":{"name":"sec","key":"PASSWORD"}}}]""", "M=fast;PW=hunter2")]
    [InlineData("""[{"name":"O","valueFrom":{"configMapKeyRef":{"name":"nope","key":"k","optional":true}}},{"name":"P","valueFrom":{"secretKeyRef":{"name":"sec","key":"nope","optional":true}}}]""", "")]
    public async Task Env(string env, string expected)
    {
        Assert.Equal(expected, await Resolve(env));
    }

    [Fact]
    public async Task EnvFromComesFirstWithItsPrefixAndEnvOverrides()
    {
        var result = await Resolve("""[{"name":"CFG_MODE","value":"slow"},{"name":"X","value":"$(CFG_LEVEL)"}]""",
            """[{"configMapRef":{"name":"cfg"},"prefix":"CFG_"},{"secretRef":{"name":"sec"}},{"configMapRef":{"name":"absent","optional":true}}]""");
        Assert.Equal("CFG_MODE=slow;CFG_LEVEL=3;PASSWORD=hunter2;X=3", result);
    }

    [Theory]
    [InlineData("""[{"name":"M","valueFrom":{"configMapKeyRef":{"name":"nope","key":"k"}}}]""", "[]", "configmap \"nope\" not found")]
    [InlineData("""[{"name":"M","valueFrom":{"secretKeyRef":{"name":"nope","key":"k"}}}]""", "[]", "secret \"nope\" not found")]
    [InlineData("""[{"name":"M","valueFrom":{"configMapKeyRef":{"name":"cfg","key":"k"}}}]""", "[]", "couldn't find key k in ConfigMap tool-x/cfg")]
    [InlineData("""[{"name":"M","valueFrom":{"secretKeyRef":{"name":"sec","key":"k"}}}]""", "[]", "couldn't find key k in Secret tool-x/sec")]
    [InlineData("[]", """[{"configMapRef":{"name":"gone"}}]""", "configmap \"gone\" not found")]
    [InlineData("[]", """[{"secretRef":{"name":"gone"}}]""", "secret \"gone\" not found")]
    public async Task MissingReferencesAreConfigErrors(string env, string envFrom, string message)
    {
        var e = await Assert.ThrowsAsync<ContainerConfigException>(() => Resolve(env, envFrom));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("$(A)", "1")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$(B", "$(B")]
    [InlineData("a$", "a$")]
    [InlineData("$x$(A)$", "$x1$")]
    [InlineData("$()", "$()")]
    public void Expansion_AsKubernetes(string input, string expected)
    {
        Assert.Equal(expected, Expansion.Expand(input, new Dictionary<string, string> { ["A"] = "1" }));
    }

    [Fact]
    public void CommandAndArgsExpandAgainstTheFinalEnv()
    {
        var c = FakeObjects.Obj("""{"command":["sh","-c","echo $(GREETING) $(NOPE)"],"args":["$$(GREETING)"]}""");
        var env = new Dictionary<string, string> { ["GREETING"] = "hi" };
        Assert.Equal(["sh", "-c", "echo hi $(NOPE)"], EnvResolver.ExpandCommand(c, "command", env));
        Assert.Equal(["$(GREETING)"], EnvResolver.ExpandCommand(c, "args", env));
    }

    private static readonly JsonObject[] Services =
    [
        ServiceEnvTests.Service("default", "kubernetes", "10.96.0.1"),
        ServiceEnvTests.Service("tool-x", "db", "10.96.0.5", """[{"port":5432}]"""),
        ServiceEnvTests.Service("tool-x", "headless", "None", """[{"port":80}]"""),
    ];

    private static async Task<List<KeyValuePair<string, string>>> ResolveWithServices(string env, string envFrom = "[]", bool? serviceLinks = null)
    {
        var pod = (JsonObject)Pod.DeepClone();
        if (serviceLinks is { } links) pod["spec"]!["enableServiceLinks"] = links;
        var c = FakeObjects.Obj("{\"name\":\"c\",\"env\":" + env + ",\"envFrom\":" + envFrom + "}");
        return await EnvResolver.ResolveAsync(pod, c, Objects(), "10.0.0.1", ["10.1.0.2"], Node, default, Services);
    }

    [Fact]
    public async Task ServiceVariablesComeFirstThenTheContainers()
    {
        var env = await ResolveWithServices("""[{"name":"A","value":"x"}]""");
        Assert.Equal(
            ["DB_SERVICE_HOST", "DB_SERVICE_PORT", "DB_PORT", "DB_PORT_5432_TCP", "DB_PORT_5432_TCP_PROTO", "DB_PORT_5432_TCP_PORT", "DB_PORT_5432_TCP_ADDR",
             "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBERNETES_SERVICE_PORT_HTTPS", "KUBERNETES_PORT", "KUBERNETES_PORT_443_TCP",
             "KUBERNETES_PORT_443_TCP_PROTO", "KUBERNETES_PORT_443_TCP_PORT", "KUBERNETES_PORT_443_TCP_ADDR", "A"],
            env.Select(p => p.Key));
        Assert.Equal("10.96.0.5", env.Single(p => p.Key == "DB_SERVICE_HOST").Value);
    }

    [Fact]
    public async Task WithoutServiceLinksOnlyTheMasterService()
    {
        var env = await ResolveWithServices("[]", serviceLinks: false);
        Assert.Equal(
            ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBERNETES_SERVICE_PORT_HTTPS", "KUBERNETES_PORT", "KUBERNETES_PORT_443_TCP",
             "KUBERNETES_PORT_443_TCP_PROTO", "KUBERNETES_PORT_443_TCP_PORT", "KUBERNETES_PORT_443_TCP_ADDR"],
            env.Select(p => p.Key));
    }

    [Fact]
    public async Task ContainerVariablesOverrideServiceVariablesAndExpandAgainstThem()
    {
        var env = await ResolveWithServices(
            """[{"name":"URL","value":"postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)/x"},{"name":"DB_SERVICE_PORT","value":"6000"},{"name":"AFTER","value":"$(DB_SERVICE_PORT)"},{"name":"PW","value":"$(PASSWORD)"}]""",
            """[{"secretRef":{"name":"sec"}},{"configMapRef":{"name":"cfg"},"prefix":"KUBERNETES_SERVICE_"}]""", serviceLinks: true);
        var map = env.ToDictionary(p => p.Key, p => p.Value);
        // Each name once: the container's own definition at its place, not the Service variable's.
        Assert.Equal(env.Count, map.Count);
        Assert.Equal("postgres://10.96.0.5:5432/x", map["URL"]);
        Assert.Equal("6000", map["DB_SERVICE_PORT"]);
        Assert.Equal("6000", map["AFTER"]);
        Assert.Equal("hunter2", map["PW"]);
        Assert.Equal("10.96.0.1", map["KUBERNETES_SERVICE_HOST"]);
        Assert.Equal("3", map["KUBERNETES_SERVICE_LEVEL"]);
        Assert.Equal(["PASSWORD", "KUBERNETES_SERVICE_MODE", "KUBERNETES_SERVICE_LEVEL", "URL", "DB_SERVICE_PORT", "AFTER", "PW"], env.Skip(env.Count - 7).Select(p => p.Key));
        Assert.DoesNotContain(env.Take(env.Count - 7), p => p.Key == "DB_SERVICE_PORT");
        Assert.DoesNotContain(env, p => p.Key.StartsWith("HEADLESS_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CommandExpandsServiceVariables()
    {
        var env = (await ResolveWithServices("[]")).ToDictionary(p => p.Key, p => p.Value);
        var c = FakeObjects.Obj("""{"command":["wget","http://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)/"]}""");
        Assert.Equal(["wget", "http://10.96.0.1:443/"], EnvResolver.ExpandCommand(c, "command", env));
    }
}
