using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Registry.Core;
using static Anvil.ApiServer.Tests.Registry.StrategyHarness;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class CoreStrategyTests
{
    // What `kubectl create service clusterip web --tcp=80:8080` sends.
    const string CreateService = """
        {"kind":"Service","apiVersion":"v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},
         "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"web"},"type":"ClusterIP"},
         "status":{"loadBalancer":{}}}
        """;

    [Fact]
    public void KubectlCreateServiceIsDefaultedLikeARealCluster()
    {
        var (obj, errors) = Create(ServiceStrategy.Instance, CreateService);
        Assert.Empty(errors);
        // clusterIP/clusterIPs come from the allocator (REST layer), not the strategy.
        AssertJsonEqual("""
            {"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
             "ports":[{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"web"},
             "sessionAffinity":"None","type":"ClusterIP"}
            """, obj["spec"]);
        AssertJsonEqual("""{"loadBalancer":{}}""", obj["status"]);
        Assert.True(ServiceStrategy.NeedsClusterIp(obj));
        Assert.Null(obj["metadata"]!["generation"]);
    }

    [Fact]
    public void TargetPortDefaultsToPortAndNodePortGetsExternalPolicy()
    {
        var (obj, errors) = Create(ServiceStrategy.Instance, """{"metadata":{"name":"np"},"spec":{"type":"NodePort","ports":[{"port":8080}]}}""");
        Assert.Empty(errors);
        AssertJsonEqual("""[{"port":8080,"protocol":"TCP","targetPort":8080}]""", obj["spec"]!["ports"]);
        Assert.Equal("Cluster", (string?)obj["spec"]!["externalTrafficPolicy"]);
        Assert.Equal([0], ServiceStrategy.NodePortsToAllocate(obj));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"web"},"spec":{}}""", "spec.ports: Required value")]
    [InlineData("""{"metadata":{"name":"1web"},"spec":{"ports":[{"port":80}]}}""", "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":80},{"port":81}]}}""", "spec.ports[0].name: Required value")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":0}]}}""", "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"type":"Magic","ports":[{"port":80}]}}""", "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":80,"nodePort":30000}]}}""", "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"type":"ExternalName"}}""", "spec.externalName: Required value")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":80}],"selector":{"app":"a b"}}}""", "spec.selector: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    [InlineData("""{"metadata":{"name":"web"},"spec":{"ports":[{"port":80,"targetPort":"HTTP"}]}}""", "spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")]
    public void InvalidServices(string json, string expected) => Assert.Contains(expected, Errors(ServiceStrategy.Instance, json));

    [Fact]
    public void HeadlessAndExternalNameServicesNeedNoPorts()
    {
        Assert.Empty(Errors(ServiceStrategy.Instance, """{"metadata":{"name":"h"},"spec":{"clusterIP":"None","selector":{"a":"b"}}}"""));
        var (obj, errors) = Create(ServiceStrategy.Instance, """{"metadata":{"name":"e"},"spec":{"type":"ExternalName","externalName":"example.com."}}""");
        Assert.Empty(errors);
        Assert.Null(obj["spec"]!["ipFamilies"]);
        Assert.False(ServiceStrategy.NeedsClusterIp(obj));
    }

    [Fact]
    public void ReplaceKeepsTheAllocatedClusterIp()
    {
        var (old, _) = Create(ServiceStrategy.Instance, CreateService);
        old["spec"]!["clusterIP"] = "10.96.0.10";
        old["spec"]!["clusterIPs"] = new JsonArray("10.96.0.10");
        var (obj, errors) = Update(ServiceStrategy.Instance, old, CreateService);
        Assert.Empty(errors);
        Assert.Equal("10.96.0.10", (string?)obj["spec"]!["clusterIP"]);
        var changed = old.DeepClone().AsObject();
        changed["spec"]!["clusterIP"] = "10.96.0.11";
        changed["spec"]!["clusterIPs"] = new JsonArray("10.96.0.11");
        Assert.Contains("spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set", Update(ServiceStrategy.Instance, old, changed.ToJsonString()).Errors);
    }

    [Theory]
    [InlineData("""{"data":{"a/b":"x"}}""", "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")]
    [InlineData("""{"data":{"k":"x"},"binaryData":{"k":"eA=="}}""", "data[k]: Invalid value: \"k\": duplicate of key present in binaryData")]
    public void InvalidConfigMaps(string body, string expected)
    {
        var obj = JsonNode.Parse(body)!.AsObject();
        obj["metadata"] = new JsonObject { ["name"] = "cm" };
        Assert.Contains(expected, Errors(ConfigMapStrategy.Instance, obj.ToJsonString()));
    }

    [Fact]
    public void ImmutableConfigMapsAndSecrets()
    {
        var (cm, _) = Create(ConfigMapStrategy.Instance, """{"metadata":{"name":"cm"},"data":{"a":"1"},"immutable":true}""");
        var (_, errors) = Update(ConfigMapStrategy.Instance, cm, """{"metadata":{"name":"cm"},"data":{"a":"2"}}""");
        Assert.Equal(["immutable: Forbidden: field is immutable when `immutable` is set", "data: Forbidden: field is immutable when `immutable` is set"], errors);

        var (secret, _) = Create(SecretStrategy.Instance, """{"metadata":{"name":"s"},"data":{"a":"MQ=="}}""");
        Assert.Contains("type: Invalid value: \"kubernetes.io/tls\": field is immutable",
            Update(SecretStrategy.Instance, secret, """{"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}}""").Errors);
    }

    [Fact]
    public void SecretTypeDefaultsAndStringDataMerges()
    {
        var (obj, errors) = Create(SecretStrategy.Instance, """{"metadata":{"name":"s"},"data":{"a":"MQ=="},"stringData":{"b":"two"}}""");
        Assert.Empty(errors);
        Assert.Equal("Opaque", (string?)obj["type"]);
        AssertJsonEqual("""{"a":"MQ==","b":"dHdv"}""", obj["data"]);
        Assert.Null(obj["stringData"]);
    }

    [Theory]
    [InlineData("kubernetes.io/tls", "data[tls.crt]: Required value")]
    [InlineData("kubernetes.io/dockerconfigjson", "data[.dockerconfigjson]: Required value")]
    [InlineData("kubernetes.io/service-account-token", "metadata.annotations[kubernetes.io/service-account.name]: Required value")]
    [InlineData("kubernetes.io/basic-auth", "data[username]: Required value")]
    public void TypedSecretsNeedTheirKeys(string type, string expected) =>
        Assert.Contains(expected, Errors(SecretStrategy.Instance, $$"""{"metadata":{"name":"s"},"type":"{{type}}"}"""));

    [Fact]
    public void NamespaceGetsLabelFinalizerAndActivePhase()
    {
        var (obj, errors) = Create(NamespaceStrategy.Instance, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tool-test"}}""", namespaced: false);
        Assert.Empty(errors);
        AssertJsonEqual("""{"kubernetes.io/metadata.name":"tool-test"}""", obj["metadata"]!["labels"]);
        AssertJsonEqual("""{"finalizers":["kubernetes"]}""", obj["spec"]);
        AssertJsonEqual("""{"phase":"Active"}""", obj["status"]);
        Assert.Null(obj["metadata"]!["generation"]);

        Assert.Equal(["metadata.name: Invalid value: \"a.b\": must not contain dots"],
            Errors(NamespaceStrategy.Instance, """{"metadata":{"name":"a.b"}}""", namespaced: false));

        // Finalizers change only through /finalize; updates keep the stored ones.
        var (updated, _) = Update(NamespaceStrategy.Instance, obj, """{"metadata":{"name":"tool-test","labels":{}},"spec":{"finalizers":[]}}""");
        AssertJsonEqual("""{"finalizers":["kubernetes"]}""", updated["spec"]);
        Assert.Equal("tool-test", (string?)updated["metadata"]!["labels"]!["kubernetes.io/metadata.name"]);
    }

    [Fact]
    public void NamespaceStatusPhaseFollowsDeletion()
    {
        var (ns, _) = Create(NamespaceStrategy.Instance, """{"metadata":{"name":"n"}}""", namespaced: false);
        var status = BuiltinStrategies.StatusFor(new("", "v1", "Namespace"))!;
        var update = ns.DeepClone().AsObject();
        update["status"]!["phase"] = "Terminating";
        status.PrepareForUpdate(update, ns);
        Assert.Equal(["status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"],
            status.ValidateUpdate(update, ns).Select(e => e.ToString()));
    }

    [Fact]
    public void UnknownKindsGetThePlainStrategy()
    {
        Assert.False(BuiltinStrategies.Has(new("example.com", "v1", "Widget")));
        Assert.Equal(typeof(ResourceStrategy), BuiltinStrategies.For(new("example.com", "v1", "Widget")).GetType());
        Assert.IsType<PodStrategy>(BuiltinStrategies.For(new("", "v1", "Pod")));
        Assert.Null(BuiltinStrategies.StatusFor(new("", "v1", "ConfigMap")));
    }
}
