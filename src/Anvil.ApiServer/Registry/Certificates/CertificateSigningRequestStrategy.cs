using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Certificates;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest (pkg/registry/certificates/certificates/strategy.go).
/// Create records the requesting user in the spec and starts with an empty status; after that the spec
/// never changes, <c>/status</c> sets the certificate and <c>/approval</c> the Approved/Denied conditions.
/// </summary>
public sealed class CertificateSigningRequestStrategy : BuiltinStrategy
{
    public static readonly CertificateSigningRequestStrategy Instance = new();

    public override bool HasStatus => true;

    /// <summary>Any name that is a valid path segment ("We don't care what you call your certificate requests").</summary>
    public override NameRule NameRule => NameRule.PathSegment;

    public override IReadOnlyList<string> ResetFields => ["spec", "status"];

    /// <summary>The /status and /approval strategies.</summary>
    public override ResourceStrategy? ForSubresource(string subresource) => subresource switch
    {
        "status" => CertificateSigningRequestStatusStrategy.Instance,
        "approval" => CertificateSigningRequestApprovalStrategy.Instance,
        _ => null,
    };

    /// <summary>No defaults in v1; the []byte fields must be base64 as Go's JSON decoder requires.</summary>
    public override void Default(JsonObject obj)
    {
        CheckBase64(obj["spec"]?["request"]);
        CheckBase64(obj["status"]?["certificate"]);
    }

    static void CheckBase64(JsonNode? node)
    {
        if (Str(node) is not { } s) return;
        if (Base64ErrorOffset(s) is { } at)
            throw StatusError.BadRequest($"CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: illegal base64 data at input byte {at}");
    }

    /// <summary>Where Go's base64.StdEncoding stops on <paramref name="s"/>, or null when it decodes.</summary>
    internal static int? Base64ErrorOffset(string s)
    {
        var data = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '\r' or '\n') continue;
            if (c == '=')
            {
                // Padding must complete the last quantum and end the input.
                var rest = s[i..].Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
                var needed = data % 4 == 2 ? 2 : data % 4 == 3 ? 1 : 0;
                if (needed == 0 || rest != new string('=', needed)) return i;
                return null;
            }
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/')) return i;
            data++;
        }
        return data % 4 == 0 ? null : s.Length;
    }

    public override void PrepareForCreate(JsonObject obj) => RecordRequester(obj, null);

    public override void PrepareForCreate(JsonObject obj, UserInfo user) => RecordRequester(obj, user);

    /// <summary>The requester comes from the request, never from the body; users cannot create pre-approved requests.</summary>
    static void RecordRequester(JsonObject obj, UserInfo? user)
    {
        if (obj["spec"] is JsonObject spec)
        {
            spec.Remove("username");
            spec.Remove("uid");
            spec.Remove("groups");
            spec.Remove("extra");
            if (user != null)
            {
                if (user.Name.Length > 0) spec["username"] = user.Name;
                if (user.Uid.Length > 0) spec["uid"] = user.Uid;
                if (user.Groups.Count > 0) spec["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
                if (user.Extra.Count > 0)
                {
                    var extra = new JsonObject();
                    foreach (var (key, values) in user.Extra)
                        extra[key] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
                    spec["extra"] = extra;
                }
            }
        }
        obj["status"] = new JsonObject();
    }

    /// <summary>Requests are immutable after creation except through the subresources.</summary>
    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone();
        else obj.Remove("spec");
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj) => CertificateSigningRequestValidation.ValidateCreate(obj);

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => CertificateSigningRequestValidation.ValidateUpdate(obj, old);

    public override void PrepareForStatusUpdate(JsonObject obj, JsonObject old) => CertificateSigningRequestStatusStrategy.Instance.PrepareForUpdate(obj, old);

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) =>
        CertificateSigningRequestStatusStrategy.Instance.ValidateUpdate(obj, old);

    /// <summary>Fills a condition's missing lastUpdateTime (now) and lastTransitionTime (kept from a stored condition of the same type and status).</summary>
    internal static void PopulateConditionTimestamps(JsonObject obj, JsonObject old, DateTimeOffset now)
    {
        var stamp = Anvil.Machinery.Meta.ObjectMeta.FormatTime(now);
        var oldConditions = CertificateSigningRequestValidation.Conditions(old).OfType<JsonObject>().ToList();
        foreach (var c in CertificateSigningRequestValidation.Conditions(obj).OfType<JsonObject>())
        {
            if (string.IsNullOrEmpty(Str(c["lastUpdateTime"]))) c["lastUpdateTime"] = stamp;
            if (!string.IsNullOrEmpty(Str(c["lastTransitionTime"]))) continue;
            var same = oldConditions.FirstOrDefault(o => Str(o["type"]) == Str(c["type"]) && Str(o["status"]) == Str(c["status"])
                && !string.IsNullOrEmpty(Str(o["lastTransitionTime"])));
            c["lastTransitionTime"] = same?["lastTransitionTime"]?.DeepClone() ?? stamp;
        }
    }
}
