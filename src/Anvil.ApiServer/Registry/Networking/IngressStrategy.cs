using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Networking;

/// <summary>networking.k8s.io/v1 Ingress (pkg/apis/networking/validation).</summary>
public sealed partial class IngressStrategy : BuiltinStrategy
{
    public static readonly IngressStrategy Instance = new();

    const string WildcardFmt = "\\*\\." + NameValidation.Dns1123SubdomainFmt;

    [GeneratedRegex("^" + WildcardFmt + "$")] private static partial Regex WildcardRegex();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["loadBalancer"] = new JsonObject() };

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var rules = Items(spec, "rules").ToList();
        if (rules.Count == 0 && IsUnset(spec["defaultBackend"]))
            yield return FieldError.Invalid("spec", new GoValue("[]networking.IngressRule(nil)"), "either `defaultBackend` or `rules` must be specified");
        if (Child(spec, "defaultBackend") is { } db) foreach (var e in ValidateBackend(db, "spec.defaultBackend")) yield return e;
        for (var i = 0; i < rules.Count; i++)
        {
            var p = $"spec.rules[{i}]";
            var host = Str(rules[i]["host"]) ?? "";
            if (host.Length > 0)
            {
                if (IPAddress.TryParse(host, out _)) yield return FieldError.Invalid(p + ".host", host, "must be a DNS name, not an IP address");
                if (host.Contains('*'))
                {
                    if (host.Length > 253) yield return FieldError.Invalid(p + ".host", host, NameValidation.MaxLenError(253));
                    if (!WildcardRegex().IsMatch(host))
                        yield return FieldError.Invalid(p + ".host", host, NameValidation.RegexError(
                            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
                            WildcardFmt, "*.example.com"));
                }
                else foreach (var m in NameValidation.IsDns1123Subdomain(host)) yield return FieldError.Invalid(p + ".host", host, m);
            }
            if (Child(rules[i], "http") is not { } http) continue;
            var paths = Items(http, "paths").ToList();
            if (paths.Count == 0) yield return FieldError.Required(p + ".http.paths");
            for (var j = 0; j < paths.Count; j++)
                foreach (var e in ValidatePath(paths[j], $"{p}.http.paths[{j}]")) yield return e;
        }
        var t = 0;
        foreach (var tls in Items(spec, "tls"))
        {
            var h = 0;
            foreach (var hostNode in Arr(tls["hosts"]) ?? [])
            {
                var host = Str(hostNode) ?? "";
                var hp = $"spec.tls[{t}].hosts[{h++}]";
                if (host.Contains('*'))
                {
                    if (!WildcardRegex().IsMatch(host))
                        yield return FieldError.Invalid(hp, host, NameValidation.RegexError(
                            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
                            WildcardFmt, "*.example.com"));
                }
                else foreach (var m in NameValidation.IsDns1123Subdomain(host)) yield return FieldError.Invalid(hp, host, m);
            }
            t++;
        }
        if (Str(spec["ingressClassName"]) is { } cls)
            foreach (var m in NameValidation.IsDns1123Subdomain(cls)) yield return FieldError.Invalid("spec.ingressClassName", cls, m);
    }

    static IEnumerable<FieldError> ValidatePath(JsonObject path, string p)
    {
        var pathType = Str(path["pathType"]);
        var value = Str(path["path"]) ?? "";
        if (pathType == null)
        {
            yield return FieldError.Required(p + ".pathType", "pathType must be specified");
            yield break;
        }
        switch (pathType)
        {
            case "Exact" or "Prefix":
                if (!value.StartsWith('/')) yield return FieldError.Invalid(p + ".path", value, "must be an absolute path");
                if (value.Length > 0)
                {
                    foreach (var seq in (string[])["//", "/./", "/../", "%2f", "%2F"])
                        if (value.Contains(seq, StringComparison.Ordinal)) yield return FieldError.Invalid(p + ".path", value, $"must not contain '{seq}'");
                    foreach (var suffix in (string[])["/..", "/."])
                        if (value.EndsWith(suffix, StringComparison.Ordinal)) yield return FieldError.Invalid(p + ".path", value, $"cannot end with '{suffix}'");
                }
                break;
            case "ImplementationSpecific":
                if (value.Length > 0 && !value.StartsWith('/')) yield return FieldError.Invalid(p + ".path", value, "must be an absolute path");
                break;
            default:
                yield return FieldError.NotSupported(p + ".pathType", pathType, ["Exact", "ImplementationSpecific", "Prefix"]);
                break;
        }
        foreach (var e in ValidateBackend(Child(path, "backend") ?? new JsonObject(), p + ".backend")) yield return e;
    }

    static IEnumerable<FieldError> ValidateBackend(JsonObject backend, string p)
    {
        var resource = Child(backend, "resource");
        var service = Child(backend, "service");
        if (resource != null && service != null)
        {
            yield return FieldError.Invalid(p, "", "cannot set both resource and service backends");
            yield break;
        }
        if (resource != null)
        {
            if (string.IsNullOrEmpty(Str(resource["kind"]))) yield return FieldError.Required(p + ".resource.kind");
            if (string.IsNullOrEmpty(Str(resource["name"]))) yield return FieldError.Required(p + ".resource.name");
        }
        else if (service != null)
        {
            var name = Str(service["name"]) ?? "";
            if (name.Length == 0) yield return FieldError.Required(p + ".service.name");
            else foreach (var m in NameValidation.IsDns1035Label(name)) yield return FieldError.Invalid(p + ".service.name", name, m);
            var portName = Str(service["port"]?["name"]) ?? "";
            var portNumber = Int(service["port"]?["number"]) ?? 0;
            if (portName.Length > 0 && portNumber != 0) yield return FieldError.Invalid(p, "", "cannot set both port name & port number");
            else if (portName.Length > 0)
                foreach (var m in NameValidation.IsValidPortName(portName)) yield return FieldError.Invalid(p + ".service.port.name", portName, m);
            else if (portNumber != 0)
                foreach (var m in NameValidation.IsValidPortNum(portNumber)) yield return FieldError.Invalid(p + ".service.port.number", portNumber, m);
            else yield return FieldError.Required(p, "port name or number is required");
        }
        else yield return FieldError.Invalid(p, "", "resource or service backend is required");
    }
}
