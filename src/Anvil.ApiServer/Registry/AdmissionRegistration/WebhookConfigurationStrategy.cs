using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.AdmissionRegistration;

/// <summary>
/// admissionregistration.k8s.io/v1 MutatingWebhookConfiguration and ValidatingWebhookConfiguration: v1 defaults
/// (failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds 10, rule scope "*", service port
/// 443, reinvocationPolicy Never) and the essential checks of ValidateMutatingWebhookConfiguration.
/// </summary>
public sealed class WebhookConfigurationStrategy(bool mutating) : BuiltinStrategy
{
    public static readonly WebhookConfigurationStrategy Mutating = new(true);
    public static readonly WebhookConfigurationStrategy Validating = new(false);

    static readonly string[] FailurePolicies = ["Fail", "Ignore"];
    static readonly string[] MatchPolicies = ["Equivalent", "Exact"];
    static readonly string[] SideEffects = ["None", "NoneOnDryRun"];
    static readonly string[] ReinvocationPolicies = ["IfNeeded", "Never"];
    static readonly string[] Operations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
    static readonly string[] Scopes = ["*", "Cluster", "Namespaced"];

    public override void Default(JsonObject obj)
    {
        foreach (var w in Items(obj, "webhooks"))
        {
            String(w, "failurePolicy", "Fail");
            String(w, "matchPolicy", "Equivalent");
            if (IsUnset(w["namespaceSelector"])) w["namespaceSelector"] = new JsonObject();
            if (IsUnset(w["objectSelector"])) w["objectSelector"] = new JsonObject();
            Int(w, "timeoutSeconds", 10);
            if (mutating) String(w, "reinvocationPolicy", "Never");
            foreach (var r in Items(w, "rules")) String(r, "scope", "*");
            if (Child(Child(w, "clientConfig"), "service") is { } svc) Int(svc, "port", 443);
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var w in Items(obj, "webhooks"))
        {
            var p = $"webhooks[{i++}]";
            var name = Str(w["name"]) ?? "";
            if (name.Length == 0) yield return FieldError.Required(p + ".name", "");
            else
            {
                foreach (var m in NameValidation.IsDns1123Subdomain(name)) yield return FieldError.Invalid(p + ".name", name, m);
                if (name.Split('.').Length < 3) yield return FieldError.Invalid(p + ".name", name, "should be a domain with at least three segments separated by dots");
                if (!names.Add(name)) yield return FieldError.Duplicate(p + ".name", name);
            }
            var j = 0;
            foreach (var r in Items(w, "rules"))
            {
                var rp = $"{p}.rules[{j++}]";
                if (Strings(r, "operations").Count == 0) yield return FieldError.Required(rp + ".operations", "");
                foreach (var (op, k) in Strings(r, "operations").Select((s, k) => (s, k)))
                    if (!Operations.Contains(op)) yield return FieldError.NotSupported($"{rp}.operations[{k}]", op, Operations);
                if (Strings(r, "apiGroups").Count == 0) yield return FieldError.Required(rp + ".apiGroups", "");
                if (Strings(r, "apiVersions").Count == 0) yield return FieldError.Required(rp + ".apiVersions", "");
                if (Strings(r, "resources").Count == 0) yield return FieldError.Required(rp + ".resources", "");
                if (Str(r["scope"]) is { } scope && !Scopes.Contains(scope)) yield return FieldError.NotSupported(rp + ".scope", scope, Scopes);
            }
            foreach (var e in Enum(w, "failurePolicy", p, FailurePolicies)) yield return e;
            foreach (var e in Enum(w, "matchPolicy", p, MatchPolicies)) yield return e;
            if (mutating) foreach (var e in Enum(w, "reinvocationPolicy", p, ReinvocationPolicies)) yield return e;
            var sideEffects = Str(w["sideEffects"]);
            if (sideEffects == null) yield return FieldError.Required(p + ".sideEffects", "must specify one of None, NoneOnDryRun");
            else if (!SideEffects.Contains(sideEffects)) yield return FieldError.NotSupported(p + ".sideEffects", sideEffects, SideEffects);
            var versions = Strings(w, "admissionReviewVersions");
            if (versions.Count == 0) yield return FieldError.Required(p + ".admissionReviewVersions", "must specify one of v1, v1beta1");
            else if (!versions.Any(v => v is "v1" or "v1beta1"))
                yield return FieldError.Invalid(p + ".admissionReviewVersions", versions, "must include at least one of v1, v1beta1");
            if (Int(w["timeoutSeconds"]) is { } t and (< 1 or > 30))
                yield return FieldError.Invalid(p + ".timeoutSeconds", t, "the timeout value must be between 1 and 30 seconds");
            var cc = Child(w, "clientConfig");
            var url = Str(cc?["url"]);
            var svc = Child(cc, "service");
            if ((url == null) == (svc == null))
                yield return FieldError.Required(p + ".clientConfig", "exactly one of url or service is required");
            else if (url != null)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) yield return FieldError.Invalid(p + ".clientConfig.url", url, "host must be specified");
                else
                {
                    if (u.Scheme != "https") yield return FieldError.Invalid(p + ".clientConfig.url", url, "'https' is the only allowed URL scheme");
                    if (u.Fragment.Length > 0) yield return FieldError.Invalid(p + ".clientConfig.url", url, "fragments are not permitted");
                    if (u.UserInfo.Length > 0) yield return FieldError.Invalid(p + ".clientConfig.url", url, "user information is not permitted in the URL");
                }
            }
            else if (svc != null)
            {
                if (string.IsNullOrEmpty(Str(svc["name"]))) yield return FieldError.Required(p + ".clientConfig.service.name", "service name is required");
                if (string.IsNullOrEmpty(Str(svc["namespace"]))) yield return FieldError.Required(p + ".clientConfig.service.namespace", "service namespace is required");
                if (Int(svc["port"]) is { } port and (< 1 or > 65535))
                    yield return FieldError.Invalid(p + ".clientConfig.service.port", port, "port is not valid: must be between 1 and 65535, inclusive");
                if (Str(svc["path"]) is { Length: > 0 } path && !path.StartsWith('/'))
                    yield return FieldError.Invalid(p + ".clientConfig.service.path", path, "must start with a '/'");
            }
            if (Str(cc?["caBundle"]) is { Length: > 0 } ca && !IsBase64(ca))
                yield return FieldError.Invalid(p + ".clientConfig.caBundle", ca, "must be base64-encoded");
        }
    }

    static IEnumerable<FieldError> Enum(JsonObject w, string field, string p, string[] values)
    {
        if (Str(w[field]) is { } v && !values.Contains(v)) yield return FieldError.NotSupported($"{p}.{field}", v, values);
    }

    static List<string> Strings(JsonObject o, string field) => (o[field] as JsonArray ?? []).Select(Str).OfType<string>().ToList();

    static bool IsBase64(string s)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }
}
