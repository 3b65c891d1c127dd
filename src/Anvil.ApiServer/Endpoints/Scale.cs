using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;

namespace Anvil.ApiServer.Endpoints;

/// <summary>The <c>autoscaling/v1 Scale</c> view of a workload's replicas (the <c>/scale</c> subresource).</summary>
public static class Scale
{
    public static JsonObject FromObject(ResourceDefinition def, JsonObject obj)
    {
        var meta = new JsonObject
        {
            ["name"] = ObjectMeta.Name(obj),
            ["namespace"] = ObjectMeta.Namespace(obj),
            ["uid"] = ObjectMeta.Uid(obj),
            ["resourceVersion"] = ObjectMeta.ResourceVersion(obj),
            ["creationTimestamp"] = obj["metadata"]?["creationTimestamp"]?.DeepClone(),
        };
        var selector = obj["spec"]?["selector"] as JsonObject;
        var status = new JsonObject { ["replicas"] = obj["status"]?["replicas"]?.GetValue<long>() ?? 0 };
        if (selector != null) status["selector"] = LabelSelector.FromLabelSelectorJson(selector).ToString();
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = meta,
            ["spec"] = new JsonObject { ["replicas"] = obj["spec"]?["replicas"]?.GetValue<long>() ?? 0 },
            ["status"] = status,
        };
    }
}
