using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>The ObjectMeta checks the store runs for every kind before the kind's own validation.</summary>
internal static class MetaValidation
{
    public static List<FieldError> ValidateForCreate(ResourceDefinition def, JsonObject obj) =>
        [.. ObjectMetaValidation.ValidateObjectMeta(obj["metadata"] as JsonObject, def.Namespaced, def.Strategy.NameRule)];

    public static List<FieldError> ValidateForUpdate(ResourceDefinition def, JsonObject obj, JsonObject old)
    {
        var errors = new List<FieldError>(ObjectMetaValidation.ValidateObjectMeta(obj["metadata"] as JsonObject, def.Namespaced, def.Strategy.NameRule));
        errors.AddRange(ObjectMetaValidation.ValidateObjectMetaUpdate(obj["metadata"] as JsonObject, old["metadata"] as JsonObject));
        return errors;
    }
}
