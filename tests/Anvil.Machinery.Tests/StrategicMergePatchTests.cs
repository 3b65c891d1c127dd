using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Patches;

namespace Anvil.Machinery.Tests;

public sealed class StrategicMergePatchTests
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"fe"},
           "finalizers":["a/x","b/y"],
           "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o1","uid":"u1"},{"apiVersion":"v1","kind":"X","name":"o2","uid":"u2"}]},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{
             "containers":[
               {"name":"a","image":"nginx:1",
                "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
                "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]},
               {"name":"b","image":"busybox"}],
             "volumes":[{"name":"v1","emptyDir":{}},{"name":"v2","configMap":{"name":"cm"}}],
             "tolerations":[{"key":"k1","operator":"Exists"}]}}}}
        """;

    private const string PodSpec = "/spec/template/spec";

    [Theory]
    // kubectl apply of a Deployment whose container "b" was removed and "a" changed image.
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"image":"nginx:2","name":"a"},{"$patch":"delete","name":"b"}]}}}}""",
        PodSpec + "/containers",
        """[{"name":"a","image":"nginx:2","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]}]""")]
    // env merges by name: existing items merge in place, new ones follow the patch order.
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}}}""",
        PodSpec + "/containers/0/env", """[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]""")]
    // A brand-new item goes before the remaining server-only items (upstream mergeSortedSlice).
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"C","value":"4"}]}]}}}}""",
        PodSpec + "/containers/0/env", """[{"name":"C","value":"4"},{"name":"A","value":"1"},{"name":"B","value":"2"}]""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"redis"}]}}}}""",
        PodSpec + "/containers/0", """{"name":"c","image":"redis"}""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"A","$patch":"delete"}]}]}}}}""",
        PodSpec + "/containers/0/env", """[{"name":"B","value":"2"}]""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"B","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}}}""",
        PodSpec + "/containers/0/env", """[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]""")]
    // ports merge by containerPort.
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":443,"name":"https"}]}]}}}}""",
        PodSpec + "/containers/0/ports", """[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP","name":"https"}]""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":8080}]}]}}}}""",
        PodSpec + "/containers/0/ports", """[{"containerPort":8080},{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}]""")]
    // volumes merge by name; $retainKeys (volumes are merge,retainKeys) drops the old volume source.
    [InlineData("""{"spec":{"template":{"spec":{"volumes":[{"name":"v2","$patch":"delete"}]}}}}""",
        PodSpec + "/volumes", """[{"name":"v1","emptyDir":{}}]""")]
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"v1"},{"name":"v2"}],"volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/tmp"},"name":"v1"}]}}}}""",
        PodSpec + "/volumes", """[{"name":"v1","hostPath":{"path":"/tmp"}},{"name":"v2","configMap":{"name":"cm"}}]""")]
    // tolerations have no patch strategy: replaced.
    [InlineData("""{"spec":{"template":{"spec":{"tolerations":[{"key":"k2","operator":"Exists"}]}}}}""",
        PodSpec + "/tolerations", """[{"key":"k2","operator":"Exists"}]""")]
    // finalizers: merge list of primitives.
    [InlineData("""{"metadata":{"finalizers":["c/z"]}}""", "/metadata/finalizers", """["c/z","a/x","b/y"]""")]
    [InlineData("""{"metadata":{"finalizers":["b/y","c/z"]}}""", "/metadata/finalizers", """["a/x","b/y","c/z"]""")]
    [InlineData("""{"metadata":{"finalizers":["a/x","a/x"]}}""", "/metadata/finalizers", """["a/x","b/y"]""")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["a/x"]}}""", "/metadata/finalizers", """["b/y"]""")]
    [InlineData("""{"metadata":{"$setElementOrder/finalizers":["b/y","a/x"]}}""", "/metadata/finalizers", """["b/y","a/x"]""")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["b/y"],"$setElementOrder/finalizers":["c/z","a/x"],"finalizers":["c/z"]}}""",
        "/metadata/finalizers", """["c/z","a/x"]""")]
    [InlineData("""{"metadata":{"finalizers":null}}""", "/metadata/finalizers", null)]
    // ownerReferences merge by uid.
    [InlineData("""{"metadata":{"ownerReferences":[{"uid":"u2","$patch":"delete"}]}}""", "/metadata/ownerReferences",
        """[{"apiVersion":"v1","kind":"X","name":"o1","uid":"u1"}]""")]
    [InlineData("""{"metadata":{"ownerReferences":[{"uid":"u1","controller":true}]}}""", "/metadata/ownerReferences",
        """[{"apiVersion":"v1","kind":"X","name":"o1","uid":"u1","controller":true},{"apiVersion":"v1","kind":"X","name":"o2","uid":"u2"}]""")]
    // labels are a map.
    [InlineData("""{"metadata":{"labels":{"tier":null,"env":"prod"}}}""", "/metadata/labels", """{"app":"web","env":"prod"}""")]
    // Deployment spec.strategy has retainKeys: kubectl apply switching to Recreate.
    [InlineData("""{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""", "/spec/strategy", """{"type":"Recreate"}""")]
    [InlineData("""{"spec":{"strategy":{"rollingUpdate":null,"type":"Recreate"}}}""", "/spec/strategy", """{"type":"Recreate"}""")]
    // $patch on maps and lists.
    [InlineData("""{"spec":{"selector":{"$patch":"replace","matchLabels":{"x":"y"}}}}""", "/spec/selector", """{"matchLabels":{"x":"y"}}""")]
    [InlineData("""{"spec":{"strategy":{"$patch":"delete"}}}""", "/spec/strategy", """{}""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"},{"$patch":"replace"}]}}}}""",
        PodSpec + "/containers", """[{"name":"c","image":"i"}]""")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"}]}}}}""", PodSpec + "/containers", """[]""")]
    // $setElementOrder on merge-keyed lists.
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}}}""",
        PodSpec + "/containers/0/name", "\"b\"")]
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"c"},{"name":"b"}],"containers":[{"name":"c","image":"redis"}]}}}}""",
        PodSpec + "/containers/1", """{"name":"c","image":"redis"}""")]
    // Scalars replace; null for a missing member is ignored; new maps are cleaned of nulls and directives.
    [InlineData("""{"spec":{"replicas":5}}""", "/spec/replicas", "5")]
    [InlineData("""{"spec":{"paused":null}}""", "/spec/paused", null)]
    [InlineData("""{"spec":{"template":{"spec":{"nodeSelector":{"a":"b","c":null}}}}}""", PodSpec + "/nodeSelector", """{"a":"b"}""")]
    [InlineData("""{"spec":{"template":{"spec":{"affinity":{"$patch":"replace","nodeAffinity":{}}}}}}""", PodSpec + "/affinity", """{"nodeAffinity":{}}""")]
    [InlineData("""{"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"x","env":[{"name":"gone","$patch":"delete"}]}]}}}}""",
        PodSpec + "/initContainers", """[{"name":"i","image":"x","env":[]}]""")]
    // A type change replaces.
    [InlineData("""{"spec":{"strategy":"oops"}}""", "/spec/strategy", "\"oops\"")]
    public void Apply_Deployment(string patch, string pointer, string? expected)
    {
        var result = StrategicMergePatch.Apply(TestJson.Obj(Deployment), TestJson.Obj(patch), TestJson.Kind("apps/v1", "Deployment"));
        var actual = At(result, pointer, out var found);
        if (expected is null) Assert.False(found, $"{pointer} should be absent: {TestJson.Canon(actual)}");
        else Assert.Equal(TestJson.Canon(expected), TestJson.Canon(actual));
        Assert.DoesNotContain("$", Keys(result));
    }

    [Fact]
    public void Apply_LeavesTheUntouchedPartsAndInputsAlone()
    {
        var original = TestJson.Obj(Deployment);
        var patch = TestJson.Obj("""{"spec":{"replicas":3}}""");
        var result = StrategicMergePatch.Apply(original, patch, TestJson.Kind("apps/v1", "Deployment"));
        var expected = TestJson.Obj(Deployment);
        expected["spec"]!["replicas"] = 3;
        Assert.Equal(TestJson.Canon(expected), TestJson.Canon(result));
        Assert.Equal(TestJson.Canon(Deployment), TestJson.Canon(original));
        Assert.Equal("""{"spec":{"replicas":3}}""", patch.ToJsonString());
    }

    [Theory]
    // kubectl apply of a changed ConfigMap.
    [InlineData("v1", "ConfigMap",
        """{"metadata":{"name":"cm","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"old"}},"data":{"a":"1","b":"2"}}""",
        """{"data":{"b":null,"c":"3"},"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}}}""",
        """{"metadata":{"name":"cm","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},"data":{"a":"1","c":"3"}}""")]
    // kubectl cordon / uncordon.
    [InlineData("v1", "Node", """{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24"}}""", """{"spec":{"unschedulable":true}}""",
        """{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}}""")]
    [InlineData("v1", "Node", """{"metadata":{"name":"n1"},"spec":{"unschedulable":true}}""", """{"spec":{"unschedulable":null}}""",
        """{"metadata":{"name":"n1"},"spec":{}}""")]
    // Node taints: no strategy, replaced.
    [InlineData("v1", "Node", """{"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]}}""", """{"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}}""",
        """{"spec":{"taints":[{"key":"b","effect":"NoExecute"}]}}""")]
    // Service ports merge by port.
    [InlineData("v1", "Service", """{"spec":{"ports":[{"port":80,"targetPort":8080}]}}""", """{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443,"targetPort":8443}]}}""",
        """{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443,"targetPort":8443}]}}""")]
    // Pod: containers by name, args replaced.
    [InlineData("v1", "Pod", """{"spec":{"containers":[{"name":"a","image":"x","args":["1","2"]}]}}""", """{"spec":{"containers":[{"name":"a","args":["3"]}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"x","args":["3"]}]}}""")]
    [InlineData("v1", "Pod", """{"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}}""",
        """{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":null,"memory":"2Gi"}}}]}}""",
        """{"spec":{"containers":[{"name":"a","image":"x","resources":{"limits":{"memory":"2Gi"}}}]}}""")]
    public void Apply_OtherKinds(string apiVersion, string kind, string original, string patch, string expected)
    {
        var result = StrategicMergePatch.Apply(TestJson.Obj(original), TestJson.Obj(patch), TestJson.Kind(apiVersion, kind));
        Assert.Equal(TestJson.Canon(expected), TestJson.Canon(result));
    }

    [Theory]
    // Without a schema (custom resources) maps merge and lists are replaced.
    [InlineData("""{"spec":{"list":[1,2],"x":1,"m":{"a":1}}}""", """{"spec":{"list":[3],"m":{"a":null,"b":2}}}""", """{"spec":{"list":[3],"x":1,"m":{"b":2}}}""")]
    [InlineData("""{"spec":{"items":[{"name":"a"}]}}""", """{"spec":{"items":[{"name":"b"}]}}""", """{"spec":{"items":[{"name":"b"}]}}""")]
    [InlineData("""{"spec":{"a":1,"b":2}}""", """{"spec":{"$retainKeys":["a"],"a":3}}""", """{"spec":{"a":3}}""")]
    public void Apply_WithoutSchema(string original, string patch, string expected)
    {
        var result = StrategicMergePatch.Apply(TestJson.Obj(original), TestJson.Obj(patch), null);
        Assert.Equal(TestJson.Canon(expected), TestJson.Canon(result));
    }

    [Theory]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}""", 500, "",
        "map: map[image:x] does not contain declared merge key: name")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"$patch":"delete"}]}}}}""", 500, "",
        "map: map[$patch:delete] does not contain declared merge key: name")]
    [InlineData("""{"spec":{"strategy":{"$patch":"foo"}}}""", 500, "", "unknown patch type: foo in map: map[$patch:foo]")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"merge"}]}}}}""", 500, "",
        "merging lists cannot yet be specified in the patch")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"bogus"}]}}}}""", 500, "",
        "unknown patch type: bogus in map: map[$patch:bogus name:a]")]
    [InlineData("""{"spec":{"strategy":{"$retainKeys":"type"}}}""", 400, "BadRequest", "invalid patch format of retainKeys")]
    [InlineData("""{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}""", 400, "BadRequest", "invalid patch format of retainKeys")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList":["a/x"]}}""", 400, "BadRequest", "invalid patch format of primitive list")]
    [InlineData("""{"metadata":{"$setElementOrder":["a/x"]}}""", 400, "BadRequest", "invalid patch format of setElementOrder list")]
    [InlineData("""{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"b","image":"x"}]}}}}""", 500, "",
        "The order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n")]
    [InlineData("""{"metadata":{"$setElementOrder/finalizers":"x"}}""", 500, "", "expected a []interface {}, but received a string")]
    [InlineData("""{"metadata":{"finalizers":[1]}}""", 500, "", "list element types are not identical: [[a/x b/y] [1]]")]
    [InlineData("""{"metadata":{"finalizers":[1.5,2]}}""", 500, "", "list element types are not identical: [[a/x b/y] [1.5 2]]")]
    public void Apply_RejectsInvalidPatches(string patch, int code, string reason, string message)
    {
        var e = Assert.Throws<StatusError>(() =>
            StrategicMergePatch.Apply(TestJson.Obj(Deployment), TestJson.Obj(patch), TestJson.Kind("apps/v1", "Deployment")));
        Assert.Equal(code, e.Code);
        Assert.Equal(reason, e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Apply_ListsOfListsAre422()
    {
        var e = Assert.Throws<StatusError>(() => StrategicMergePatch.Apply(
            TestJson.Obj("""{"metadata":{"finalizers":[]}}"""), TestJson.Obj("""{"metadata":{"finalizers":[["a"]]}}"""), TestJson.Kind("apps/v1", "Deployment")));
        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
    }

    private static JsonNode? At(JsonNode root, string pointer, out bool found)
    {
        JsonNode? node = root;
        found = true;
        foreach (var part in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (node)
            {
                case JsonObject o when o.TryGetPropertyValue(part, out var v): node = v; break;
                case JsonArray a when int.TryParse(part, out var i) && i < a.Count: node = a[i]; break;
                default: found = false; return null;
            }
        }
        return node;
    }

    private static string Keys(JsonNode? node) => node switch
    {
        JsonObject o => string.Join(",", o.Select(p => p.Key + Keys(p.Value))),
        JsonArray a => string.Join(",", a.Select(Keys)),
        _ => "",
    };
}
