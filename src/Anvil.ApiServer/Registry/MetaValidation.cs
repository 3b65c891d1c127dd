using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>ObjectMeta checks the store runs for every kind before the kind's own validation.</summary>
internal static partial class MetaValidation
{
    public static List<FieldError> ValidateForCreate(ResourceDefinition def, JsonObject obj)
    {
        var errors = new List<FieldError>();
        var name = ObjectMeta.Name(obj);
        if (name.Length == 0)
            errors.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        else
            errors.AddRange(ValidateName(def.Strategy.NameRule, name));
        return errors;
    }

    public static List<FieldError> ValidateForUpdate(ResourceDefinition def, JsonObject obj, JsonObject old)
    {
        var errors = new List<FieldError>();
        if (ObjectMeta.Name(obj) != ObjectMeta.Name(old))
            errors.Add(FieldError.Invalid("metadata.name", ObjectMeta.Name(obj), "field is immutable"));
        return errors;
    }

    public static IEnumerable<FieldError> ValidateName(NameRule rule, string name)
    {
        switch (rule)
        {
            case NameRule.Dns1123Label:
                if (name.Length > 63) yield return FieldError.Invalid("metadata.name", name, "must be no more than 63 characters");
                if (!Dns1123Label().IsMatch(name))
                    yield return FieldError.Invalid("metadata.name", name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
                break;
            case NameRule.Dns1035Label:
                if (name.Length > 63) yield return FieldError.Invalid("metadata.name", name, "must be no more than 63 characters");
                if (!Dns1035Label().IsMatch(name))
                    yield return FieldError.Invalid("metadata.name", name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
                break;
            case NameRule.PathSegment:
                if (name is "." or "..") yield return FieldError.Invalid("metadata.name", name, $"may not be '{name}'");
                else if (name.Contains('/')) yield return FieldError.Invalid("metadata.name", name, "may not contain '/'");
                else if (name.Contains('%')) yield return FieldError.Invalid("metadata.name", name, "may not contain '%'");
                break;
            default:
                if (name.Length > 253) yield return FieldError.Invalid("metadata.name", name, "must be no more than 253 characters");
                if (!Dns1123Subdomain().IsMatch(name))
                    yield return FieldError.Invalid("metadata.name", name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
                break;
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}
