using System.Text;

namespace Anvil.Machinery.Apply;

/// <summary>
/// One decoded <c>metadata.managedFields</c> entry: who (manager, operation, apiVersion, subresource), when, and
/// which fields. <see cref="Identifier"/> is the key k8s.io/apiserver's fieldmanager uses for the entry: the JSON of
/// manager, operation, subresource and (for Update only) apiVersion, so each applier has one entry across versions.
/// </summary>
public sealed record ManagedFieldsEntry(
    string Manager,
    string Operation,
    string ApiVersion,
    DateTimeOffset? Time,
    string? Subresource,
    FieldSet Fields)
{
    public const string OperationApply = "Apply";
    public const string OperationUpdate = "Update";

    public bool Applied => Operation == OperationApply;

    public string Identifier => BuildIdentifier(Manager, Operation, ApiVersion, Subresource);

    /// <summary>The manager identifier: Go's json.Marshal of the entry without fields/time (and apiVersion for Apply).</summary>
    public static string BuildIdentifier(string manager, string operation, string apiVersion, string? subresource)
    {
        var sb = new StringBuilder("{");
        var first = true;
        void Field(string name, string value)
        {
            if (value.Length == 0) return;
            if (!first) sb.Append(',');
            first = false;
            JsonValues.WriteGoString(sb, name);
            sb.Append(':');
            JsonValues.WriteGoString(sb, value);
        }
        Field("manager", manager);
        Field("operation", operation);
        if (operation != OperationApply) Field("apiVersion", apiVersion);
        Field("subresource", subresource ?? "");
        return sb.Append('}').ToString();
    }

    /// <summary>How conflict messages name this manager: <c>"kubectl"</c>, <c>"x" with subresource "status" using v1</c>.</summary>
    public string DisplayName
    {
        get
        {
            var s = JsonValues.GoQuote(Manager);
            if (!string.IsNullOrEmpty(Subresource)) s += " with subresource " + JsonValues.GoQuote(Subresource);
            return Operation == OperationUpdate ? $"{s} using {ApiVersion}" : s;
        }
    }
}
