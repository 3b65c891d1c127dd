using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;

namespace Anvil.ApiServer.Endpoints;

/// <summary>Turns the labelSelector and fieldSelector query parameters into one predicate for a kind.</summary>
public static class Selectors
{
    /// <summary>Parses both selectors (400 on bad syntax or unsupported fields); null when both are empty.</summary>
    public static Func<JsonObject, bool>? Build(ResourceDefinition def, string labelSelector, string fieldSelector)
    {
        var labels = labelSelector.Length > 0 ? LabelSelector.Parse(labelSelector) : null;
        FieldSelector? fields = null;
        if (fieldSelector.Length > 0)
        {
            fields = FieldSelector.Parse(fieldSelector);
            FieldSelectorFields.Validate(def.Group, def.Kind, fields);
        }
        if (labels == null && fields == null) return null;
        var getters = def.FieldSelectors;
        return obj =>
            (labels == null || labels.Matches(ObjectMeta.Labels(obj)))
            && (fields == null || fields.Matches(name => getters.TryGetValue(name, out var get) ? get(obj) : null));
    }
}
