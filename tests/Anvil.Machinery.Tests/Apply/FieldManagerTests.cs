using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Apply;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Tests.Apply.ApplyTestSchemas;

namespace Anvil.Machinery.Tests.Apply;

public sealed class FieldManagerTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(1);

    private static FieldManager ConfigMaps() => new(new GroupVersionKind("", "v1", "ConfigMap"), ConfigMap);
    private static FieldManager Deployments() => new(new GroupVersionKind("apps", "v1", "Deployment"), Deployment, ["status"]);

    private static string ConfigMapJson(string data) =>
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\"},\"data\":" + data + "}";

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>manager/operation → fieldsV1 text (as Go would write it), in managedFields order.</summary>
    private static List<string> Entries(JsonObject obj) =>
        (obj["metadata"]?["managedFields"] as JsonArray ?? [])
        .Select(e => $"{(string?)e!["manager"]}/{(string?)e["operation"]}:{e["fieldsV1"]!.ToJsonString(Relaxed)}")
        .ToList();

    private static JsonObject CreatedByClientSideApply(string data = "{\"a\":\"x\",\"b\":\"y\"}") =>
        ConfigMaps().Update(null, Obj(ConfigMapJson(data)), "kubectl-client-side-apply", T0);

    [Fact]
    public void CreateRecordsUpdateEntryWithUpstreamShape()
    {
        var created = CreatedByClientSideApply();
        var entry = Assert.Single((JsonArray)created["metadata"]!["managedFields"]!)!;
        Assert.Equal(
            "{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2024-05-01T10:00:00Z\"," +
            "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{},\"f:b\":{}}}}",
            entry.ToJsonString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ServerSideApplyOverClientSideApplyConflictsUnlessForced(bool force)
    {
        var live = CreatedByClientSideApply();
        var applied = Obj(ConfigMapJson("{\"a\":\"z\"}"));
        if (!force)
        {
            var e = Assert.Throws<StatusError>(() => ConfigMaps().Apply(live, applied, "kubectl", false, T1));
            Assert.Equal(409, e.Code);
            Assert.Equal("Conflict", e.Reason);
            Assert.Equal("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.a", e.Message);
            var cause = Assert.Single(e.Causes);
            Assert.Equal(new StatusCause("FieldManagerConflict", "conflict with \"kubectl-client-side-apply\" using v1", ".data.a"), cause);
            Assert.Equal(
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Apply failed with 1 conflict: conflict with \\u0022kubectl-client-side-apply\\u0022 using v1: .data.a\"," +
                "\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\u0022kubectl-client-side-apply\\u0022 using v1\",\"field\":\".data.a\"}]},\"code\":409}",
                e.ToStatus().ToJsonString());
            return;
        }
        var result = ConfigMaps().Apply(live, applied, "kubectl", true, T1);
        Assert.Equal("{\"a\":\"z\",\"b\":\"y\"}", result["data"]!.ToJsonString());
        Assert.Equal(
            ["kubectl/Apply:{\"f:data\":{\"f:a\":{}}}", "kubectl-client-side-apply/Update:{\"f:data\":{\".\":{},\"f:b\":{}}}"],
            Entries(result));
        Assert.Equal("2024-05-01T10:01:00Z", (string?)result["metadata"]!["managedFields"]![0]!["time"]);
    }

    [Fact]
    public void ConflictsOnSeveralFieldsAreListedPerManager()
    {
        var live = CreatedByClientSideApply();
        var e = Assert.Throws<StatusError>(() => ConfigMaps().Apply(live, Obj(ConfigMapJson("{\"a\":\"1\",\"b\":\"2\"}")), "kubectl", false, T1));
        Assert.Equal("Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using v1:\n- .data.a\n- .data.b", e.Message);
        Assert.Equal([".data.a", ".data.b"], e.Causes.Select(c => c.Field));
    }

    [Fact]
    public void ApplyCreatesObjectOwnedByApplier()
    {
        var result = ConfigMaps().Apply(null, Obj(ConfigMapJson("{\"a\":\"x\"}")), "kubectl", false, T0);
        Assert.Equal("{\"a\":\"x\"}", result["data"]!.ToJsonString());
        Assert.Equal("cm", (string?)result["metadata"]!["name"]);
        Assert.Equal(["apiVersion", "kind", "metadata", "data"], result.Select(p => p.Key));
        var entry = Assert.Single((JsonArray)result["metadata"]!["managedFields"]!)!;
        Assert.Equal(
            "{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"time\":\"2024-05-01T10:00:00Z\"," +
            "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}",
            entry.ToJsonString());
    }

    [Theory]
    // Fields the applier stops applying are removed, unless someone else owns them.
    [InlineData("{\"a\":\"x\",\"b\":\"y\"}", "{\"a\":\"x\"}", null, "{\"a\":\"x\"}")]
    [InlineData("{\"a\":\"x\",\"b\":\"y\"}", "{}", null, null)]
    [InlineData("{\"a\":\"x\",\"b\":\"y\"}", "{\"a\":\"x\"}", "{\"b\":\"y\"}", "{\"a\":\"x\",\"b\":\"y\"}")]
    public void ReapplyWithoutAFieldRemovesIt(string first, string second, string? otherApplier, string? expectedData)
    {
        var live = ConfigMaps().Apply(null, Obj(ConfigMapJson(first)), "kubectl", false, T0);
        if (otherApplier != null) live = ConfigMaps().Apply(live, Obj(ConfigMapJson(otherApplier)), "other", false, T0);
        var result = ConfigMaps().Apply(live, Obj(ConfigMapJson(second)), "kubectl", false, T1);
        Assert.Equal(expectedData, result["data"]?.ToJsonString());
    }

    [Fact]
    public void TwoAppliersWithTheSameValueShareOwnership()
    {
        var live = ConfigMaps().Apply(null, Obj(ConfigMapJson("{\"a\":\"x\"}")), "one", false, T0);
        var result = ConfigMaps().Apply(live, Obj(ConfigMapJson("{\"a\":\"x\"}")), "two", false, T1);
        Assert.Equal(["one/Apply:{\"f:data\":{\"f:a\":{}}}", "two/Apply:{\"f:data\":{\"f:a\":{}}}"], Entries(result).Order(StringComparer.Ordinal));
        // When "one" stops applying the field, "two" still owns it, so it stays.
        var after = ConfigMaps().Apply(result, Obj(ConfigMapJson("{}")), "one", false, T1);
        Assert.Equal("{\"a\":\"x\"}", after["data"]!.ToJsonString());
        Assert.Equal(["two/Apply:{\"f:data\":{\"f:a\":{}}}"], Entries(after));
    }

    private static string DeploymentJson(string containers, string labels = "{\"app\":\"d\"}") =>
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"default\",\"labels\":" + labels + "}," +
        "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":" + containers + "}}}}";

    public static TheoryData<string, string, string> DeploymentConflicts => new()
    {
        // list-map item by name
        { "[{\"name\":\"a\",\"image\":\"nginx:1\"}]", "[{\"name\":\"a\",\"image\":\"nginx:2\"}]", ".spec.template.spec.containers[name=\"a\"].image" },
        // atomic list: the whole list is one field
        { "[{\"name\":\"a\",\"image\":\"i\",\"command\":[\"x\",\"y\"]}]", "[{\"name\":\"a\",\"image\":\"i\",\"command\":[\"x\"]}]", ".spec.template.spec.containers[name=\"a\"].command" },
        // list-map keyed by containerPort and the defaulted protocol
        { "[{\"name\":\"a\",\"image\":\"i\",\"ports\":[{\"containerPort\":80,\"name\":\"web\"}]}]", "[{\"name\":\"a\",\"image\":\"i\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]",
          ".spec.template.spec.containers[name=\"a\"].ports[containerPort=80,protocol=\"TCP\"].name" },
    };

    [Theory]
    [MemberData(nameof(DeploymentConflicts))]
    public void DeploymentFieldsConflictWithTheirOwner(string firstContainers, string secondContainers, string field)
    {
        var live = Deployments().Apply(null, Obj(DeploymentJson(firstContainers)), "first", false, T0);
        var e = Assert.Throws<StatusError>(() => Deployments().Apply(live, Obj(DeploymentJson(secondContainers)), "second", false, T1));
        Assert.Equal($"Apply failed with 1 conflict: conflict with \"first\": {field}", e.Message);
        Assert.Equal(field, Assert.Single(e.Causes).Field);
    }

    [Fact]
    public void ContainersMergeByNameAcrossAppliers()
    {
        var live = Deployments().Apply(null, Obj(DeploymentJson("[{\"name\":\"a\",\"image\":\"i\"}]")), "first", false, T0);
        var result = Deployments().Apply(live, Obj(DeploymentJson("[{\"name\":\"b\",\"image\":\"j\"}]")), "second", false, T1);
        Assert.Equal("[{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"b\",\"image\":\"j\"}]", result["spec"]!["template"]!["spec"]!["containers"]!.ToJsonString());
    }

    [Fact]
    public void AtomicListIsReplacedByItsApplier()
    {
        var live = Deployments().Apply(null, Obj(DeploymentJson("[{\"name\":\"a\",\"image\":\"i\",\"command\":[\"x\",\"y\"]}]")), "first", false, T0);
        var result = Deployments().Apply(live, Obj(DeploymentJson("[{\"name\":\"a\",\"image\":\"i\",\"command\":[\"z\"]}]")), "first", false, T1);
        Assert.Equal("[\"z\"]", result["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]!.ToJsonString());
    }

    [Theory]
    [InlineData("{\"app\":\"other\"}", null, "Apply failed with 1 conflict: conflict with \"first\": .metadata.labels.app")]
    [InlineData("{\"tier\":\"web\"}", "{\"app\":\"d\",\"tier\":\"web\"}", null)]
    public void LabelsAreAGranularMap(string secondLabels, string? expectedLabels, string? conflict)
    {
        var containers = "[{\"name\":\"a\",\"image\":\"i\"}]";
        var live = Deployments().Apply(null, Obj(DeploymentJson(containers)), "first", false, T0);
        var applied = Obj(DeploymentJson(containers, secondLabels));
        if (conflict != null)
        {
            Assert.Equal(conflict, Assert.Throws<StatusError>(() => Deployments().Apply(live, applied, "second", false, T1)).Message);
            return;
        }
        var result = Deployments().Apply(live, applied, "second", false, T1);
        Assert.Equal(expectedLabels, result["metadata"]!["labels"]!.ToJsonString());
    }

    [Fact]
    public void DeploymentCreateRecordsGranularFields()
    {
        var created = Deployments().Update(null, Obj(
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"default\",\"labels\":{\"app\":\"d\"}}," +
            "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}}," +
            "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}},\"status\":{\"replicas\":3}}"),
            "kubectl-create", T0);
        Assert.Equal(
            "kubectl-create/Update:{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{" +
             "\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"nginx\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}," +
             "\"f:ports\":{\".\":{},\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:containerPort\":{}}}}}}}}}",
            Assert.Single(Entries(created)));
    }

    [Fact]
    public void UpdatesTakeOwnershipWithoutConflict()
    {
        var live = CreatedByClientSideApply();
        var updated = ConfigMaps().Update(live, Obj(ConfigMapJson("{\"a\":\"edited\"}")), "kubectl-edit", T1);
        Assert.Equal(
            ["kubectl-client-side-apply/Update:{\"f:data\":{}}", "kubectl-edit/Update:{\"f:data\":{\"f:a\":{}}}"],
            Entries(updated));
    }

    [Fact]
    public void UpdateWithoutChangesKeepsTheEntryTime()
    {
        var live = CreatedByClientSideApply();
        var updated = ConfigMaps().Update(live, Obj(ConfigMapJson("{\"a\":\"x\",\"b\":\"y\"}")), "kubectl-client-side-apply", T1);
        Assert.Equal("2024-05-01T10:00:00Z", (string?)updated["metadata"]!["managedFields"]![0]!["time"]);
    }

    [Theory]
    [InlineData("[{}]")]
    [InlineData("[]")]
    public void ResetManagedFieldsClearsTracking(string managedFields)
    {
        var live = CreatedByClientSideApply();
        live["metadata"]!["uid"] = "u1";
        var request = Obj(ConfigMapJson("{\"a\":\"x\",\"b\":\"y\"}"));
        request["metadata"]!["managedFields"] = JsonNode.Parse(managedFields);
        var updated = ConfigMaps().Update(live, request, "kubectl", T1);
        Assert.Null(updated["metadata"]!["managedFields"]);
    }

    [Fact]
    public void ResetFieldsAreNeverOwned()
    {
        var live = Deployments().Apply(null, Obj(DeploymentJson("[{\"name\":\"a\",\"image\":\"i\"}]")), "first", false, T0);
        var withStatus = live.DeepClone().AsObject();
        withStatus["status"] = new JsonObject { ["replicas"] = 2 };
        var updated = Deployments().Update(live, withStatus, "controller", T1);
        Assert.DoesNotContain(Entries(updated), e => e.StartsWith("controller/", StringComparison.Ordinal));
    }

    [Fact]
    public void UpdateManagersAreCappedIntoAncientChanges()
    {
        var live = ConfigMaps().Update(null, Obj(ConfigMapJson("{\"k0\":\"v\"}")), "m0", T0);
        for (var i = 1; i <= 10; i++)
        {
            var data = new JsonObject();
            for (var j = 0; j <= i; j++) data[$"k{j}"] = "v";
            live = ConfigMaps().Update(live, Obj(ConfigMapJson(data.ToJsonString())), $"m{i}", T0.AddMinutes(i));
        }
        var entries = Entries(live);
        Assert.Equal(10, entries.Count);
        Assert.Equal("ancient-changes/Update:{\"f:data\":{\".\":{},\"f:k0\":{},\"f:k1\":{}}}", entries[0]);
        Assert.DoesNotContain(entries, e => e.StartsWith("m0/", StringComparison.Ordinal) || e.StartsWith("m1/", StringComparison.Ordinal));
    }

    [Fact]
    public void SubresourceManagersAreNamedWithTheirSubresource()
    {
        var pods = new FieldManager(new GroupVersionKind("", "v1", "Pod"), Pod, ["status"]);
        var podStatus = new FieldManager(new GroupVersionKind("", "v1", "Pod"), Pod, ["spec"], "status");
        var created = pods.Update(null, Obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u\"}," +
            "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"), "kubectl-run", T0);
        var running = created.DeepClone().AsObject();
        running["status"] = new JsonObject { ["phase"] = "Running" };
        var withStatus = podStatus.Update(created, running, "kubelet", T1);
        Assert.Equal(
            ["kubectl-run/Update:{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}",
             "kubelet/Update:{\"f:status\":{\"f:phase\":{}}}"],
            Entries(withStatus));
        Assert.Equal("status", (string?)withStatus["metadata"]!["managedFields"]![1]!["subresource"]);

        var e = Assert.Throws<StatusError>(() => podStatus.Apply(withStatus,
            Obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},\"status\":{\"phase\":\"Failed\"}}"), "tester", false, T1));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"kubelet\" with subresource \"status\" using v1: .status.phase", e.Message);
    }

    public static TheoryData<string, string> InvalidApplies => new()
    {
        { "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"cm\"}}", "invalid object type: /v1, Kind=Secret" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"managedFields\":[]}}", "metadata.managedFields must be nil" },
    };

    [Theory]
    [MemberData(nameof(InvalidApplies))]
    public void InvalidAppliedObjectsAreBadRequests(string applied, string message)
    {
        var e = Assert.Throws<StatusError>(() => ConfigMaps().Apply(null, Obj(applied), "kubectl", false, T0));
        Assert.Equal(400, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void MissingListMapKeyWithoutDefaultIsRejected()
    {
        var manager = new FieldManager(new GroupVersionKind("", "v1", "ServiceAccount"), ServiceAccount);
        var applied = Obj("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa\",\"namespace\":\"ns\"},\"secrets\":[{\"namespace\":\"ns\"}]}");
        var e = Assert.Throws<StatusError>(() => manager.Apply(null, applied, "kubectl", false, T0));
        Assert.Equal(400, e.Code);
        Assert.Equal("failed to create typed patch object (ns/sa; /v1, Kind=ServiceAccount): .secrets: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)", e.Message);
    }

    [Fact]
    public void MissingListMapKeyTakesItsSchemaDefault()
    {
        // Container.name has default "" in the 1.32 OpenAPI, so the item is keyed name="" (validation reports it later).
        var result = Deployments().Apply(null, Obj(DeploymentJson("[{\"image\":\"i\"}]")), "kubectl", false, T0);
        Assert.Contains("\"k:{\\\"name\\\":\\\"\\\"}\":{\".\":{},\"f:image\":{}}", Assert.Single(Entries(result)));
    }

    [Theory]
    [InlineData("[{\"name\":\"a\",\"image\":\"i\"},{\"name\":\"a\",\"image\":\"j\"}]",
        "failed to create typed patch object (default/d; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name=\"a\"]")]
    public void InvalidListItemsAreRejected(string containers, string message)
    {
        var e = Assert.Throws<StatusError>(() => Deployments().Apply(null, Obj(DeploymentJson(containers)), "kubectl", false, T0));
        Assert.Equal(400, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ManagedFieldsDecodeAndEncodeRoundTrip()
    {
        var live = CreatedByClientSideApply();
        live = ConfigMaps().Apply(live, Obj(ConfigMapJson("{\"c\":\"z\"}")), "kubectl", false, T1);
        var original = live["metadata"]!["managedFields"]!.ToJsonString();
        var decoded = ManagedFields.Decode(live["metadata"]!["managedFields"]);
        Assert.Equal(2, decoded.Count);
        Assert.Equal(original, decoded.Encode()!.ToJsonString());
    }

    [Theory]
    [InlineData("[{\"manager\":\"m\",\"operation\":\"Patch\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\"}]", "operation must be `Apply` or `Update`")]
    [InlineData("[{\"manager\":\"m\",\"operation\":\"Update\",\"fieldsType\":\"FieldsV1\"}]", "apiVersion must not be empty")]
    [InlineData("[{\"manager\":\"m\",\"operation\":\"Update\",\"apiVersion\":\"v1\"}]", "missing fieldsType in managed fields entry 0")]
    [InlineData("[{\"manager\":\"m\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV2\"}]", "invalid fieldsType \"FieldsV2\" in managed fields entry 0")]
    public void InvalidManagedFieldsAreReported(string json, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => ManagedFields.Decode(JsonNode.Parse(json))).Message);
}
