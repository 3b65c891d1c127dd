using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// The strategy of a kind's <c>/status</c> subresource, wrapping its main strategy the way upstream status
/// strategies embed the main one: an update keeps the stored spec (and everything else but metadata and
/// status), keeps the generation, and validates the status only. Create is not served on /status.
/// </summary>
public sealed class StatusStrategy(ResourceStrategy main) : ResourceStrategy
{
    public ResourceStrategy Main { get; } = main;

    public override bool HasStatus => true;

    public override NameRule NameRule => Main.NameRule;

    public override void Default(JsonObject obj) => Main.Default(obj);

    public override bool AllowCreateOnUpdate => false;

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (Main is BuiltinStrategy b)
        {
            b.PrepareForStatusUpdate(obj, old);
            return;
        }
        foreach (var (key, value) in old)
            if (key is not ("metadata" or "status" or "apiVersion" or "kind")) obj[key] = value?.DeepClone();
        if (old["metadata"]?["generation"] is { } gen && obj["metadata"] is JsonObject meta) meta["generation"] = gen.DeepClone();
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        Main is BuiltinStrategy b ? b.ValidateStatusUpdate(obj, old) : [];

    public override void Canonicalize(JsonObject obj) => Main.Canonicalize(obj);

    public override bool BlocksDeletion(JsonObject obj) => Main.BlocksDeletion(obj);

    /// <summary>The status subresource resets everything the main strategy owns: the spec.</summary>
    public override IReadOnlyList<string> ResetFields => ["spec"];
}
