using System.Net;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl create &lt;generator&gt;</c> (protobuf request bodies) and <c>kubectl create -f</c>.</summary>
public sealed class CreateTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    public static TheoryData<string, string[], string, string, string, string> Generators => new()
    {
        // case, create args, kubectl's line, object, jsonpath, expected jsonpath output
        { "configmap", ["configmap", "cm1", "--from-literal=a=1", "--from-literal=b=two"], "configmap/cm1 created",
            "configmap/cm1", "{.data}", """{"a":"1","b":"two"}""" },
        { "secret", ["secret", "generic", "s1", "--from-literal=password=hunter2"], "secret/s1 created",
            "secret/s1", "{.type} {.data.password}", "Opaque aHVudGVyMg==" },
        { "deployment", ["deployment", "web", "--image=nginx:1.27", "--replicas=2"], "deployment.apps/web created",
            "deployment/web", "{.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.metadata.labels.app} {.spec.template.spec.containers[0].name} {.spec.template.spec.containers[0].image} {.spec.strategy.type}",
            "2 web web nginx nginx:1.27 RollingUpdate" },
        { "job", ["job", "j1", "--image=busybox:1.36", "--", "echo", "hi"], "job.batch/j1 created",
            "job/j1", "{.spec.template.spec.restartPolicy} {.spec.backoffLimit} {.spec.template.spec.containers[0].command}",
            """Never 6 ["echo","hi"]""" },
        { "service", ["service", "clusterip", "svc1", "--tcp=80:8080"], "service/svc1 created",
            "service/svc1", "{.spec.type} {.spec.ports[0].name} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].protocol} {.spec.selector.app}",
            "ClusterIP 80-8080 80 8080 TCP svc1" },
        { "serviceaccount", ["serviceaccount", "sa1"], "serviceaccount/sa1 created",
            "serviceaccount/sa1", "{.kind} {.metadata.name}", "ServiceAccount sa1" },
    };

    [Theory]
    [MemberData(nameof(Generators))]
    public async Task CreateGenerator(string name, string[] args, string expectedLine, string obj, string jsonPath, string expected)
    {
        var ns = await NamespaceAsync("create-" + name);

        var r = await K(["create", "-n", ns, .. args]);

        Assert.Equal(expectedLine + "\n", r.Succeeded().Stdout);
        Assert.Equal(expected, await JsonPathAsync(ns, obj.Split('/')[0], obj.Split('/')[1], jsonPath));
    }

    [Fact]
    public async Task CreateNamespace_IsActive()
    {
        var r = await K("create", "namespace", "created-by-kubectl");

        Assert.Equal("namespace/created-by-kubectl created\n", r.Succeeded().Stdout);
        Assert.Equal("Active", await JsonPathAsync("", "namespace", "created-by-kubectl", "{.status.phase}"));
    }

    [Fact]
    public async Task CreateServiceClusterIp_AllocatesAnAddress()
    {
        var ns = await NamespaceAsync("create-svc-ip");

        (await K("create", "-n", ns, "service", "clusterip", "addr", "--tcp=443")).Succeeded();

        var ip = await JsonPathAsync(ns, "service", "addr", "{.spec.clusterIP}");
        Assert.True(IPAddress.TryParse(ip, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork,
            $"spec.clusterIP is \"{ip}\", expected an IPv4 address");
    }

    [Fact]
    public async Task CreateGenerator_AlreadyExists()
    {
        var ns = await NamespaceAsync("create-exists");
        (await K("create", "-n", ns, "configmap", "twice")).Succeeded();

        var r = (await K("create", "-n", ns, "configmap", "twice")).Failed();

        Assert.Equal("error: failed to create configmap: configmaps \"twice\" already exists\n", r.Stderr);
    }

    private const string TwoObjects = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: from-file
          labels:
            source: file
        data:
          greeting: hello
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: from-file
        stringData:
          token: abc
        """;

    [Fact]
    public async Task CreateFromYamlFile()
    {
        var ns = await NamespaceAsync("create-file");
        var file = Kubectl.WriteFile("objects.yaml", TwoObjects);

        var r = await K("create", "-n", ns, "-f", file);

        Assert.Equal("configmap/from-file created\nsecret/from-file created\n", r.Succeeded().Stdout);
        Assert.Equal("hello file", await JsonPathAsync(ns, "configmap", "from-file", "{.data.greeting} {.metadata.labels.source}"));
        Assert.Equal("YWJj Opaque", await JsonPathAsync(ns, "secret", "from-file", "{.data.token} {.type}"));
    }

    [Fact]
    public async Task CreateFromYamlFile_Again_AlreadyExists()
    {
        var ns = await NamespaceAsync("create-file-twice");
        var file = Kubectl.WriteFile("objects.yaml", TwoObjects);
        (await K("create", "-n", ns, "-f", file)).Succeeded();

        var r = (await K("create", "-n", ns, "-f", file)).Failed();

        Assert.Equal(
            [
                "Error from server (AlreadyExists): error when creating \"objects.yaml\": configmaps \"from-file\" already exists",
                "Error from server (AlreadyExists): error when creating \"objects.yaml\": secrets \"from-file\" already exists",
            ],
            r.StderrLines);
    }

    [Fact]
    public async Task CreateAndUpdateAnswers_AreTheStoredObjectByteForByte()
    {
        var ns = await NamespaceAsync("create-answer-bytes");
        var path = $"/api/v1/namespaces/{ns}/configmaps";

        var created = await Api.PostAsync(path, """{"metadata":{"name":"cm","labels":{"b":"2","a":"1"},"annotations":{"x":"<&>"}},"data":{"k":"v é"}}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("application/json", created.ContentType);
        var got = await Api.GetAsync(path + "/cm");
        Assert.Equal(got.Body, created.Body);
        Assert.Contains($"\"resourceVersion\":\"{(string?)created.Json["metadata"]!["resourceVersion"]}\"", created.Body);

        var meta = created.Json["metadata"]!;
        var updated = await Api.PutAsync(path + "/cm",
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","resourceVersion":"{{{(string?)meta["resourceVersion"]}}}"},"data":{"k":"w"}}""");
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.NotEqual((string?)meta["resourceVersion"], (string?)updated.Json["metadata"]!["resourceVersion"]);
        Assert.Equal((await Api.GetAsync(path + "/cm")).Body, updated.Body);
    }
}
