using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Registry.ApiExtensions;
using Anvil.ApiServer.Registry.Coordination;
using Anvil.ApiServer.Registry.Core;
using Anvil.ApiServer.Registry.Networking;
using Anvil.ApiServer.Registry.Policy;
using Anvil.ApiServer.Registry.Rbac;
using static Anvil.ApiServer.Tests.Registry.StrategyHarness;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class OtherStrategyTests
{
    public static TheoryData<string, string, bool, string> InvalidObjects => new()
    {
        { "Node", """{"metadata":{"name":"n"},"spec":{"taints":[{"key":"k","effect":"Sometimes"}]}}""", false,
          "metadata.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"" },
        { "Node", """{"metadata":{"name":"n"},"spec":{"taints":[{"key":"k"}]}}""", false, "metadata.taints[0].effect: Required value" },
        { "Node", """{"metadata":{"name":"n"},"spec":{"taints":[{"key":"k","effect":"NoSchedule"},{"key":"k","value":"v","effect":"NoSchedule"}]}}""", false,
          "metadata.taints[1]: Duplicate value: core.Taint{Key:\"k\", Value:\"v\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair" },
        { "Node", """{"metadata":{"name":"n"},"status":{"capacity":{"cpu":"-1"}}}""", false, "status.capacity.cpu: Invalid value: \"-1\": must be greater than or equal to 0" },
        { "ResourceQuota", """{"metadata":{"name":"q"},"spec":{"hard":{"cpu":"-1"}}}""", true, "spec.hard[cpu]: Invalid value: \"-1\": must be greater than or equal to 0" },
        { "ResourceQuota", """{"metadata":{"name":"q"},"spec":{"hard":{"pods":"1.5"}}}""", true, "spec.hard[pods]: Invalid value: \"1500m\": must be an integer" },
        { "ResourceQuota", """{"metadata":{"name":"q"},"spec":{"hard":{"gpus":"1"}}}""", true, "spec.hard[gpus]: Invalid value: \"gpus\": must be a standard resource for quota" },
        { "LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Container","max":{"cpu":"1"},"default":{"cpu":"2"}}]}}""", true,
          "spec.limits[0].default[cpu]: Invalid value: \"1\": default value 2 is greater than max value 1" },
        { "LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Container","min":{"memory":"1Gi"},"max":{"memory":"512Mi"}}]}}""", true,
          "spec.limits[0].min[memory]: Invalid value: \"1Gi\": min value 1Gi is greater than max value 512Mi" },
        { "LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Pod","default":{"cpu":"1"}}]}}""", true,
          "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'" },
        { "LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"PersistentVolumeClaim"}]}}""", true,
          "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided" },
        { "LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Node"}]}}""", true,
          "spec.limits[0].type: Invalid value: \"Node\": must be a standard limit type or fully qualified" },
        { "PersistentVolumeClaim", """{"metadata":{"name":"c"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}""", true,
          "spec.accessModes: Required value: at least 1 access mode is required" },
        { "PersistentVolumeClaim", """{"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"]}}""", true, "spec.resources[storage]: Required value" },
        { "PersistentVolumeClaim", """{"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteSometimes"],"resources":{"requests":{"storage":"1Gi"}}}}""", true,
          "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"" },
        { "Ingress", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"a.example.org","http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""", true,
          "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" },
        { "Ingress", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"10.0.0.1","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""", true,
          "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address" },
        { "Ingress", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"a.example.org","http":{"paths":[{"path":"x","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""", true,
          "spec.rules[0].http.paths[0].path: Invalid value: \"x\": must be an absolute path" },
        { "Ingress", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"a.example.org","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web"}}}]}}]}}""", true,
          "spec.rules[0].http.paths[0].backend: Required value: port name or number is required" },
        { "Ingress", """{"metadata":{"name":"i"},"spec":{}}""", true,
          "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified" },
        { "NetworkPolicy", """{"metadata":{"name":"np"},"spec":{"ingress":[{"from":[{}]}]}}""", true, "spec.ingress[0].from[0]: Required value: must specify a peer" },
        { "NetworkPolicy", """{"metadata":{"name":"np"},"spec":{"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["192.168.0.0/16"]}}]}]}}""", true,
          "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`" },
        { "Role", """{"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"]}]}""", true, "rules[0].verbs: Required value: verbs must contain at least one value" },
        { "Role", """{"metadata":{"name":"r"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}""", true,
          "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs" },
        { "Role", """{"metadata":{"name":"a/b"},"rules":[]}""", true, "metadata.name: Invalid value: \"a/b\": may not contain '/'" },
        { "RoleBinding", """{"metadata":{"name":"b"},"roleRef":{"kind":"Thing","name":"r"},"subjects":[{"kind":"Robot","name":"x"}]}""", true,
          "roleRef.kind: Unsupported value: \"Thing\": supported values: \"Role\", \"ClusterRole\"" },
        { "RoleBinding", """{"metadata":{"name":"b"},"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"Robot","name":"x"}]}""", true,
          "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"" },
        { "ClusterRoleBinding", """{"metadata":{"name":"b"},"roleRef":{"kind":"ClusterRole","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"default"}]}""", false,
          "subjects[0].namespace: Required value" },
        { "Lease", """{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":0}}""", true, "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0" },
        { "PodDisruptionBudget", """{"metadata":{"name":"p"},"spec":{"minAvailable":"120%"}}""", true,
          "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%" },
        { "Endpoints", """{"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"port":80}]}]}""", true,
          "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)" },
        { "Endpoints", """{"metadata":{"name":"e"},"subsets":[{"ports":[{"port":80}]}]}""", true,
          "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`" },
        { "Event", """{"metadata":{"name":"e.1","namespace":"a"},"involvedObject":{"kind":"Pod","namespace":"b","name":"p"}}""", true,
          "involvedObject.namespace: Invalid value: \"b\": does not match event.namespace" },
    };

    static ResourceStrategy StrategyOf(string kind) => kind switch
    {
        "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding" => BuiltinStrategies.For(new("rbac.authorization.k8s.io", "v1", kind)),
        "Ingress" or "NetworkPolicy" => BuiltinStrategies.For(new("networking.k8s.io", "v1", kind)),
        "Lease" => BuiltinStrategies.For(new("coordination.k8s.io", "v1", kind)),
        "PodDisruptionBudget" => BuiltinStrategies.For(new("policy", "v1", kind)),
        _ => BuiltinStrategies.For(new("", "v1", kind)),
    };

    [Theory]
    [MemberData(nameof(InvalidObjects))]
    public void InvalidObjectsGetKubernetesMessages(string kind, string json, bool namespaced, string expected)
    {
        var strategy = StrategyOf(kind);
        Assert.NotEqual(typeof(ResourceStrategy), strategy.GetType());
        Assert.Contains(expected, Errors(strategy, json, namespaced));
    }

    [Theory]
    [InlineData("Node", """{"metadata":{"name":"n"},"spec":{"taints":[{"key":"node-role.kubernetes.io/control-plane","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"110"}}}""", false)]
    [InlineData("LimitRange", """{"metadata":{"name":"l"},"spec":{"limits":[{"type":"Container","default":{"cpu":"500m","memory":"512Mi"},"defaultRequest":{"cpu":"150m","memory":"256Mi"},"max":{"cpu":"1","memory":"1Gi"},"min":{"cpu":"50m","memory":"100Mi"}}]}}""", true)]
    [InlineData("Ingress", """{"metadata":{"name":"i"},"spec":{"rules":[{"host":"*.toolforge.org","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":8000}}}}]}}]}}""", true)]
    [InlineData("ClusterRole", """{"metadata":{"name":"system:viewer"},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}""", false)]
    [InlineData("RoleBinding", """{"metadata":{"name":"b"},"roleRef":{"kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"User","name":"taavi"},{"kind":"ServiceAccount","name":"default","namespace":"tool-a"}]}""", true)]
    public void ValidObjects(string kind, string json, bool namespaced) => Assert.Empty(Errors(StrategyOf(kind), json, namespaced));

    [Fact]
    public void LimitRangeContainerDefaultsComeFromMaxAndMin()
    {
        var (obj, errors) = Create(LimitRangeStrategy.Instance, """
            {"metadata":{"name":"l"},"spec":{"limits":[{"type":"Container","max":{"cpu":"1","memory":"1Gi"},"min":{"ephemeral-storage":"1Mi"},"default":{"memory":"512Mi"}}]}}
            """);
        Assert.Empty(errors);
        AssertJsonEqual("""{"cpu":"1","memory":"512Mi"}""", obj["spec"]!["limits"]![0]!["default"]);
        AssertJsonEqual("""{"cpu":"1","ephemeral-storage":"1Mi","memory":"512Mi"}""", obj["spec"]!["limits"]![0]!["defaultRequest"]);
    }

    [Fact]
    public void NodeStatusIsKeptOnCreateAndAllocatableDefaults()
    {
        var (obj, _) = Create(NodeStrategy.Instance, """{"metadata":{"name":"n"},"status":{"capacity":{"cpu":"2"}}}""", namespaced: false);
        AssertJsonEqual("""{"allocatable":{"cpu":"2"},"capacity":{"cpu":"2"}}""", obj["status"]);
    }

    [Fact]
    public void RoleRefIsImmutableAndSubjectsGetApiGroup()
    {
        var (old, _) = Create(RoleBindingStrategy.RoleBinding, """{"metadata":{"name":"b"},"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"}]}""");
        Assert.Equal("rbac.authorization.k8s.io", (string?)old["roleRef"]!["apiGroup"]);
        Assert.Equal("rbac.authorization.k8s.io", (string?)old["subjects"]![0]!["apiGroup"]);
        var (_, errors) = Update(RoleBindingStrategy.RoleBinding, old, """{"metadata":{"name":"b"},"roleRef":{"kind":"Role","name":"other"}}""");
        Assert.Equal(["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef"], errors);
    }

    [Fact]
    public void PvcDefaultsAndUpdateRules()
    {
        var (obj, errors) = Create(PersistentVolumeClaimStrategy.Instance, """{"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""");
        Assert.Empty(errors);
        Assert.Equal("Filesystem", (string?)obj["spec"]!["volumeMode"]);
        AssertJsonEqual("""{"phase":"Pending"}""", obj["status"]);
        var update = obj.DeepClone().AsObject();
        update["spec"]!["accessModes"] = new JsonArray("ReadWriteMany");
        Assert.Contains(Update(PersistentVolumeClaimStrategy.Instance, obj, update.ToJsonString()).Errors,
            e => e.StartsWith("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", StringComparison.Ordinal));
        var bind = obj.DeepClone().AsObject();
        bind["spec"]!["volumeName"] = "pv-1";
        Assert.Empty(Update(PersistentVolumeClaimStrategy.Instance, obj, bind.ToJsonString()).Errors);
    }

    [Fact]
    public void NetworkPolicyDefaultsPolicyTypesAndProtocols()
    {
        var (obj, errors) = Create(NetworkPolicyStrategy.Instance, """{"metadata":{"name":"np"},"spec":{"podSelector":{},"egress":[{"ports":[{"port":53}]}]}}""");
        Assert.Empty(errors);
        AssertJsonEqual("""["Ingress","Egress"]""", obj["spec"]!["policyTypes"]);
        Assert.Equal("TCP", (string?)obj["spec"]!["egress"]![0]!["ports"]![0]!["protocol"]);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    [Fact]
    public void IngressAndPdbStartWithTheirStatusShape()
    {
        var (ing, _) = Create(IngressStrategy.Instance, """{"metadata":{"name":"i"},"spec":{"defaultBackend":{"service":{"name":"web","port":{"number":80}}}}}""");
        AssertJsonEqual("""{"loadBalancer":{}}""", ing["status"]);
        var (pdb, errors) = Create(PodDisruptionBudgetStrategy.Instance, """{"metadata":{"name":"p"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"a":"b"}}}}""");
        Assert.Empty(errors);
        AssertJsonEqual("""{"currentHealthy":0,"desiredHealthy":0,"disruptionsAllowed":0,"expectedPods":0}""", pdb["status"]);
        Assert.Equal(1, (int)pdb["metadata"]!["generation"]!);
    }

    const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
         "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},
                 "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}
        """;

    [Fact]
    public void CrdDefaultsNamesConversionAndStoredVersions()
    {
        var (obj, errors) = Create(CustomResourceDefinitionStrategy.Instance, Crd, namespaced: false);
        Assert.Empty(errors);
        AssertJsonEqual("""{"kind":"Widget","listKind":"WidgetList","plural":"widgets","singular":"widget"}""", obj["spec"]!["names"]);
        AssertJsonEqual("""{"strategy":"None"}""", obj["spec"]!["conversion"]);
        AssertJsonEqual("""{"acceptedNames":{"kind":"","plural":""},"storedVersions":["v1"]}""", obj["status"]);
        Assert.Equal(1, (int)obj["metadata"]!["generation"]!);
    }

    [Theory]
    [InlineData("metadata", """{"name":"widgets.example.org"}""", "metadata.name: Invalid value: \"widgets.example.org\": must be spec.names.plural+\".\"+spec.group")]
    [InlineData("spec.versions", """[{"name":"v1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}}]""", "must have exactly one version marked as storage version")]
    [InlineData("spec.versions", """[{"name":"v1","served":true,"storage":true}]""", "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required")]
    [InlineData("spec.versions", """[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{}}}]""", "spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root")]
    [InlineData("spec.scope", "\"Global\"", "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"")]
    [InlineData("spec.group", "\"example\"", "spec.group: Invalid value: \"example\": should be a domain with at least one dot")]
    public void InvalidCrds(string field, string value, string expected)
    {
        var obj = JsonNode.Parse(Crd)!.AsObject();
        var parts = field.Split('.');
        var target = parts.Length == 1 ? obj : obj[parts[0]]!.AsObject();
        target[parts[^1]] = JsonNode.Parse(value);
        if (field == "spec.group") obj["metadata"]!["name"] = "widgets.example";
        Assert.Contains(Errors(CustomResourceDefinitionStrategy.Instance, obj.ToJsonString(), namespaced: false), e => e == expected || e.EndsWith(expected, StringComparison.Ordinal));
    }
}
