using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using static Anvil.ApiServer.Tests.Registry.StrategyHarness;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class PodStrategyTests
{
    // What `kubectl run nginx --image=nginx` sends.
    const string KubectlRun = """
        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"nginx","creationTimestamp":null,"labels":{"run":"nginx"}},
         "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst"},"status":{}}
        """;

    [Fact]
    public void KubectlRunPodIsDefaultedLikeARealCluster()
    {
        var (obj, errors) = Create(PodStrategy.Instance, KubectlRun);
        Assert.Empty(errors);
        // A real 1.32 cluster's spec and status, minus what admission adds (service account, token volume, tolerations).
        AssertJsonEqual("""
            {"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"nginx","resources":{},
              "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
             "dnsPolicy":"ClusterFirst","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority","priority":0,
             "restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}
            """, obj["spec"]);
        AssertJsonEqual("""{"phase":"Pending","qosClass":"BestEffort"}""", obj["status"]);
        Assert.Null(obj["metadata"]!["generation"]);
    }

    [Theory]
    [InlineData("nginx", "Always")]
    [InlineData("nginx:latest", "Always")]
    [InlineData("nginx:1.27", "IfNotPresent")]
    [InlineData("registry.local:5000/nginx", "Always")]
    [InlineData("registry.local:5000/nginx:1.2", "IfNotPresent")]
    [InlineData("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "IfNotPresent")]
    public void ImagePullPolicyFollowsTheTag(string image, string policy)
    {
        var (obj, _) = Create(PodStrategy.Instance, $$$"""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"{{{image}}}"}]}}""");
        Assert.Equal(policy, (string?)obj["spec"]!["containers"]![0]!["imagePullPolicy"]);
    }

    [Fact]
    public void ProbesPortsVolumesAndLimitsGetDefaults()
    {
        var (obj, errors) = Create(PodStrategy.Instance, """
            {"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x:1",
              "ports":[{"containerPort":80}],
              "livenessProbe":{"httpGet":{"port":80}},
              "resources":{"limits":{"cpu":"500m","memory":"128Mi"}},
              "env":[{"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]}],
             "volumes":[{"name":"a"},{"name":"b","configMap":{"name":"cm"}}]}}
            """);
        Assert.Empty(errors);
        var c = obj["spec"]!["containers"]![0]!;
        AssertJsonEqual("""{"containerPort":80,"protocol":"TCP"}""", c["ports"]![0]);
        AssertJsonEqual("""{"failureThreshold":3,"httpGet":{"path":"/","port":80,"scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,"timeoutSeconds":1}""", c["livenessProbe"]);
        AssertJsonEqual("""{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"500m","memory":"128Mi"}}""", c["resources"]);
        AssertJsonEqual("""{"apiVersion":"v1","fieldPath":"spec.nodeName"}""", c["env"]![0]!["valueFrom"]!["fieldRef"]);
        AssertJsonEqual("""[{"name":"a","emptyDir":{}},{"name":"b","configMap":{"name":"cm","defaultMode":420}}]""", obj["spec"]!["volumes"]);
        Assert.Equal("Guaranteed", (string?)obj["status"]!["qosClass"]);
    }

    [Theory]
    [InlineData("""{"requests":{"cpu":"100m"}}""", "Burstable")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1","memory":"1Gi"}}""", "Guaranteed")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}}""", "Burstable")]
    [InlineData("""{"limits":{"cpu":"1"}}""", "Burstable")]
    [InlineData("""{}""", "BestEffort")]
    public void QosClass(string resources, string qos)
    {
        var (obj, _) = Create(PodStrategy.Instance, $$$"""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{{{resources}}}}]}}""");
        Assert.Equal(qos, (string?)obj["status"]!["qosClass"]);
    }

    [Theory]
    [InlineData("""{"containers":[]}""", "spec.containers: Required value")]
    [InlineData("""{"containers":[{"name":"c"}]}""", "spec.containers[0].image: Required value")]
    [InlineData("""{"containers":[{"name":"C_1","image":"x"}]}""",
        "spec.containers[0].name: Invalid value: \"C_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("""{"containers":[{"name":"c","image":"x"},{"name":"c","image":"y"}]}""", "spec.containers[1].name: Duplicate value: \"c\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x"}],"restartPolicy":"Sometimes"}""",
        "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x","ports":[{"containerPort":70000}]}]}""",
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive")]
    [InlineData("""{"containers":[{"name":"c","image":"x","ports":[{"containerPort":80,"protocol":"HTTP"}]}]}""",
        "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2"}}}]}""",
        "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"limits":{"memory":"1Gi"},"requests":{"memory":"2048Mi"}}}]}""",
        "spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"-1"}}}]}""",
        "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"requests":{"gpu":"1"}}}]}""",
        "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"requests":{"gpu":"1"}}}]}""",
        "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"requests":{"example.com/gpu":"1"}}}]}""",
        "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources")]
    [InlineData("""{"containers":[{"name":"c","image":"x","resources":{"limits":{"example.com/gpu":"2"},"requests":{"example.com/gpu":"1"}}}]}""",
        "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2")]
    [InlineData("""{"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"v","emptyDir":{}},{"name":"v","emptyDir":{}}]}""",
        "spec.volumes[1].name: Duplicate value: \"v\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"v","emptyDir":{},"hostPath":{"path":"/x"}}]}""",
        "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type")]
    [InlineData("""{"containers":[{"name":"c","image":"x","volumeMounts":[{"name":"nope","mountPath":"/x"}]}]}""",
        "spec.containers[0].volumeMounts[0].name: Not found: \"nope\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x","env":[{"name":"A=B"}]}]}""",
        "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='")]
    [InlineData("""{"containers":[{"name":"c","image":"x","livenessProbe":{"exec":{"command":["true"]},"successThreshold":2}}]}""",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1")]
    [InlineData("""{"containers":[{"name":"c","image":"x"}],"tolerations":[{"operator":"Equal","value":"x"}]}""",
        "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"")]
    [InlineData("""{"containers":[{"name":"c","image":"x"}],"activeDeadlineSeconds":0}""",
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive")]
    public void InvalidPodSpecs(string spec, string expected)
    {
        var errors = Errors(PodStrategy.Instance, $$$"""{"metadata":{"name":"p"},"spec":{{{spec}}}}""");
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void ImageMayChange()
    {
        var (old, _) = Create(PodStrategy.Instance, KubectlRun);
        old["metadata"]!["resourceVersion"] = "5";
        var update = old.DeepClone().AsObject();
        update["spec"]!["containers"]![0]!["image"] = "nginx:1.27";
        var (obj, errors) = Update(PodStrategy.Instance, old, update.ToJsonString());
        Assert.Empty(errors);
        Assert.Null(obj["metadata"]!["generation"]);
    }

    [Fact]
    public void OtherSpecChangesAreForbidden()
    {
        var (old, _) = Create(PodStrategy.Instance, KubectlRun);
        var update = old.DeepClone().AsObject();
        update["spec"]!["restartPolicy"] = "Never";
        var (_, errors) = Update(PodStrategy.Instance, old, update.ToJsonString());
        var error = Assert.Single(errors);
        Assert.StartsWith("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n", error);
        Assert.Contains("RestartPolicy", error);
    }

    [Fact]
    public void ContainersCannotBeAdded()
    {
        var (old, _) = Create(PodStrategy.Instance, KubectlRun);
        var update = old.DeepClone().AsObject();
        update["spec"]!["containers"]!.AsArray().Add(new JsonObject { ["name"] = "two", ["image"] = "x" });
        var (_, errors) = Update(PodStrategy.Instance, old, update.ToJsonString());
        Assert.Contains("spec.containers: Forbidden: pod updates may not add or remove containers", errors);
    }

    [Fact]
    public void TolerationsMayOnlyBeAdded()
    {
        var (old, _) = Create(PodStrategy.Instance, """{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}],"tolerations":[{"key":"a","operator":"Exists"}]}}""");
        var added = old.DeepClone().AsObject();
        added["spec"]!["tolerations"]!.AsArray().Add(new JsonObject { ["key"] = "b", ["operator"] = "Exists" });
        Assert.Empty(Update(PodStrategy.Instance, old, added.ToJsonString()).Errors);
        var removed = old.DeepClone().AsObject();
        removed["spec"]!["tolerations"] = new JsonArray();
        Assert.Contains("spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
            Update(PodStrategy.Instance, old, removed.ToJsonString()).Errors);
    }

    [Fact]
    public void QuantitiesAreStoredInCanonicalForm()
    {
        var (obj, errors) = Create(PodStrategy.Instance, """
            {"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":1,"memory":"1024Mi"},"requests":{"cpu":"500m","memory":536870912}}}],
             "volumes":[{"name":"v","emptyDir":{"sizeLimit":"1000Mi"}}]}}
            """);
        Assert.Empty(errors);
        AssertJsonEqual("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"536870912"}}""", obj["spec"]!["containers"]![0]!["resources"]);
        Assert.Equal("1000Mi", (string?)obj["spec"]!["volumes"]![0]!["emptyDir"]!["sizeLimit"]);
        Assert.Equal("Burstable", (string?)obj["status"]!["qosClass"]);
    }

    [Fact]
    public void HostNetworkPodsGetHostPortsButTemplatesDoNot()
    {
        var (obj, _) = Create(PodStrategy.Instance, """{"metadata":{"name":"p"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x","ports":[{"containerPort":8080}]}]}}""");
        Assert.Equal(8080, (int)obj["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"]!);
        var (rs, _) = Create(Anvil.ApiServer.Registry.Apps.ReplicaSetStrategy.Instance, """
            {"metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},
             "spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x","ports":[{"containerPort":8080}]}]}}}}
            """);
        Assert.Null(rs["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"]);
    }

    [Fact]
    public void UpdateKeepsStoredStatus()
    {
        var (old, _) = Create(PodStrategy.Instance, KubectlRun);
        old["status"]!["phase"] = "Running";
        var update = old.DeepClone().AsObject();
        update["status"]!["phase"] = "Failed";
        var (obj, _) = Update(PodStrategy.Instance, old, update.ToJsonString());
        Assert.Equal("Running", (string?)obj["status"]!["phase"]);
    }
}
