using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>Owner references with <c>controller: true</c> (metav1.GetControllerOf, metav1.NewControllerRef).</summary>
public static class ControllerRef
{
    /// <summary>The managing controller's reference, or null for an orphan.</summary>
    public static JsonObject? Of(JsonObject obj) =>
        ObjectMeta.OwnerReferences(obj).FirstOrDefault(r => r["controller"] is JsonValue v && v.TryGetValue<bool>(out var b) && b);

    public static string Uid(JsonObject? reference) => (string?)reference?["uid"] ?? "";

    /// <summary>A controller reference to <paramref name="owner"/> that blocks the owner's foreground deletion.</summary>
    public static JsonObject New(JsonObject owner, string apiVersion, string kind) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = ObjectMeta.Name(owner),
        ["uid"] = ObjectMeta.Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    public static bool IsControlledBy(JsonObject obj, JsonObject owner) => Uid(Of(obj)) is { Length: > 0 } u && u == ObjectMeta.Uid(owner);
}
