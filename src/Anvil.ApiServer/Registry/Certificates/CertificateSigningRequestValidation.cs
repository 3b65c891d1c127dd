using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Certificates;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Certificates;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest validation (pkg/apis/certificates/validation):
/// the request, usages, signer name, duration, conditions and issued certificate, and the update rules
/// that keep Approved/Denied/Failed conditions and the certificate from being removed or rewritten.
/// </summary>
internal static class CertificateSigningRequestValidation
{
    public const string LegacyUnknownSignerName = "kubernetes.io/legacy-unknown";
    private static readonly string[] TrueConditionTypes = ["Approved", "Denied", "Failed"];
    private static readonly string[] TrueOnly = ["True"];
    private static readonly string[] AllStatuses = ["False", "True", "Unknown"];

    public static IEnumerable<FieldError> ValidateCreate(JsonObject csr) => Validate(csr, OptionsFor(csr, null));

    public static IEnumerable<FieldError> ValidateUpdate(JsonObject csr, JsonObject old) => ValidateUpdate(csr, old, OptionsFor(csr, old));

    public static IEnumerable<FieldError> ValidateStatusUpdate(JsonObject csr, JsonObject old) =>
        ValidateUpdate(csr, old, OptionsFor(csr, old) with { AllowSettingCertificate = true });

    public static IEnumerable<FieldError> ValidateApprovalUpdate(JsonObject csr, JsonObject old) =>
        ValidateUpdate(csr, old, OptionsFor(csr, old) with { AllowSettingApprovalConditions = true });

    public static IEnumerable<FieldError> Validate(JsonObject csr, CsrValidationOptions opts)
    {
        var request = Bytes(csr["spec"]?["request"]);
        if (!CsrRequestParser.TryParse(request ?? [], out _, out var requestError))
            yield return FieldError.Invalid("spec.request", GoBytes(request), requestError);
        var usages = Usages(csr);
        if (usages.Count == 0) yield return FieldError.Required("spec.usages");
        if (!opts.AllowUnknownUsages)
            for (var i = 0; i < usages.Count; i++)
                if (!KeyUsages.IsValid(usages[i])) yield return FieldError.NotSupported($"spec.usages[{i}]", usages[i], KeyUsages.All);
        if (!opts.AllowDuplicateUsages)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < usages.Count; i++)
                if (!seen.Add(usages[i])) yield return FieldError.Duplicate($"spec.usages[{i}]", usages[i]);
        }
        var signerName = Str(csr["spec"]?["signerName"]) ?? "";
        if (!opts.AllowLegacySignerName && signerName == LegacyUnknownSignerName)
            yield return FieldError.Invalid("spec.signerName", signerName, "the legacy signerName is not allowed via this API version");
        else
            foreach (var e in ValidateSignerName("spec.signerName", signerName)) yield return e;
        if (Int(csr["spec"]?["expirationSeconds"]) is { } seconds && seconds < 600)
            yield return FieldError.Invalid("spec.expirationSeconds", seconds, "may not specify a duration less than 600 seconds (10 minutes)");
        foreach (var e in ValidateConditions(csr, opts)) yield return e;
        if (!opts.AllowArbitraryCertificate && ValidateCertificate(Bytes(csr["status"]?["certificate"])) is { } certError)
            yield return FieldError.Invalid("status.certificate", "<certificate data>", certError);
    }

    private static IEnumerable<FieldError> ValidateConditions(JsonObject csr, CsrValidationOptions opts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool approved = false, denied = false;
        var conditions = Conditions(csr);
        for (var i = 0; i < conditions.Count; i++)
        {
            var path = $"status.conditions[{i}]";
            var type = Str(conditions[i]?["type"]) ?? "";
            var status = Str(conditions[i]?["status"]) ?? "";
            if (!opts.AllowEmptyConditionType && type.Length == 0) yield return FieldError.Required(path + ".type");
            var allowed = TrueConditionTypes.Contains(type) ? TrueOnly : AllStatuses;
            if (status.Length == 0) yield return FieldError.Required(path + ".status");
            else if (!allowed.Contains(status)) yield return FieldError.NotSupported(path + ".status", status, allowed);
            if (!opts.AllowBothApprovedAndDenied)
            {
                if (type == "Approved")
                {
                    approved = true;
                    if (denied) yield return FieldError.Invalid(path + ".type", type, "Approved and Denied conditions are mutually exclusive");
                }
                else if (type == "Denied")
                {
                    denied = true;
                    if (approved) yield return FieldError.Invalid(path + ".type", type, "Approved and Denied conditions are mutually exclusive");
                }
            }
            if (!opts.AllowDuplicateConditionTypes && !seen.Add(type)) yield return FieldError.Duplicate(path + ".type", type);
        }
    }

    private static IEnumerable<FieldError> ValidateUpdate(JsonObject csr, JsonObject old, CsrValidationOptions opts)
    {
        foreach (var e in Validate(csr, opts)) yield return e;
        foreach (var t in TrueConditionTypes)
            if (Find(csr, t).Count < Find(old, t).Count)
                yield return FieldError.Forbidden("status.conditions", $"updates may not remove a condition of type \"{t}\"");
        if (!opts.AllowSettingApprovalConditions)
        {
            foreach (var t in new[] { "Approved", "Denied" })
            {
                var before = Find(old, t);
                var after = Find(csr, t);
                if (after.Count > before.Count)
                    yield return FieldError.Forbidden("status.conditions", $"updates may not add a condition of type \"{t}\"");
                else if (after.Count == before.Count && !before.Zip(after).All(p => JsonNode.DeepEquals(p.First, p.Second)))
                    yield return FieldError.Forbidden("status.conditions", $"updates may not modify a condition of type \"{t}\"");
            }
        }
        var certificate = Bytes(csr["status"]?["certificate"]) ?? [];
        var oldCertificate = Bytes(old["status"]?["certificate"]) ?? [];
        if (!certificate.AsSpan().SequenceEqual(oldCertificate))
        {
            if (!opts.AllowSettingCertificate)
                yield return FieldError.Forbidden("status.certificate", "updates may not set certificate content");
            else if (oldCertificate.Length > 0)
                yield return FieldError.Forbidden("status.certificate", "updates may not modify existing certificate content");
        }
    }

    /// <summary>A signer name is <c>domain/path</c>: a DNS domain with at least two labels and a path of DNS subdomains.</summary>
    public static IEnumerable<FieldError> ValidateSignerName(string path, string signerName)
    {
        if (signerName.Length == 0)
        {
            yield return FieldError.Required(path);
            yield break;
        }
        var segments = signerName.Split('/');
        if (segments.Length != 2)
        {
            yield return FieldError.Invalid(path, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'");
            yield break;
        }
        if (segments[0].Length > 253) yield return FieldError.TooLong(path, segments[0], 253);
        var domainLabels = segments[0].Split('.');
        foreach (var label in domainLabels)
        {
            var errors = NameValidation.IsDns1123Label(label);
            foreach (var m in errors) yield return FieldError.Invalid(path, segments[0], $"validating label {GoQuote.Quote(label)}: {m}");
            if (errors.Count > 0) break;
        }
        if (domainLabels.Length < 2) yield return FieldError.Invalid(path, segments[0], "should be a domain with at least two segments separated by dots");
        foreach (var label in segments[1].Split('.'))
        {
            var errors = NameValidation.IsDns1123Subdomain(label);
            foreach (var m in errors) yield return FieldError.Invalid(path, segments[1], $"validating label {GoQuote.Quote(label)}: {m}");
            if (errors.Count > 0) break;
        }
        const int maxSignerName = 253 + (253 + 63 + 1) + 1;
        if (signerName.Length > maxSignerName) yield return FieldError.TooLong(path, signerName, maxSignerName);
    }

    /// <summary>Checks a certificate chain in PEM: only CERTIFICATE blocks, at least one. Null when valid (or empty).</summary>
    public static string? ValidateCertificate(byte[]? pem)
    {
        if (pem == null || pem.Length == 0) return null;
        var text = Encoding.Latin1.GetString(pem);
        var blocks = 0;
        while (true)
        {
            if (!CsrRequestParser.TryFindBlock(text, out var label, out var der, out var end)) break;
            if (label != "CERTIFICATE") return $"only CERTIFICATE PEM blocks are allowed, found {GoQuote.Quote(label)}";
            blocks++;
            try
            {
                using var cert = X509CertificateLoader.LoadCertificate(der);
            }
            catch (CryptographicException)
            {
                return "x509: malformed certificate";
            }
            text = text[end..];
        }
        return blocks == 0 ? "must contain at least one CERTIFICATE PEM block" : null;
    }

    private static CsrValidationOptions OptionsFor(JsonObject csr, JsonObject? old)
    {
        if (old == null) return new CsrValidationOptions();
        var oldTypes = Conditions(old).Select(c => Str(c?["type"]) ?? "").ToList();
        var oldUsages = Usages(old);
        var certificate = Bytes(csr["status"]?["certificate"]) ?? [];
        var oldCertificate = Bytes(old["status"]?["certificate"]) ?? [];
        return new CsrValidationOptions
        {
            AllowBothApprovedAndDenied = oldTypes.Contains("Approved") && oldTypes.Contains("Denied"),
            AllowLegacySignerName = Str(old["spec"]?["signerName"]) == LegacyUnknownSignerName,
            AllowDuplicateConditionTypes = oldTypes.Distinct().Count() != oldTypes.Count,
            AllowEmptyConditionType = oldTypes.Contains(""),
            AllowArbitraryCertificate = certificate.AsSpan().SequenceEqual(oldCertificate) || ValidateCertificate(oldCertificate) != null,
            AllowUnknownUsages = oldUsages.Any(u => !KeyUsages.IsValid(u)),
            AllowDuplicateUsages = oldUsages.Distinct().Count() != oldUsages.Count,
        };
    }

    internal static List<string> Usages(JsonObject csr) =>
        (Arr(csr["spec"]?["usages"]) ?? []).Select(u => Str(u) ?? "").ToList();

    internal static List<JsonNode?> Conditions(JsonObject csr) => (Arr(csr["status"]?["conditions"]) ?? []).ToList();

    private static List<JsonNode?> Find(JsonObject csr, string type) => Conditions(csr).Where(c => Str(c?["type"]) == type).ToList();

    /// <summary>A []byte field's value (base64 in JSON); null when absent, empty when not base64 (the decoder refuses those first).</summary>
    internal static byte[]? Bytes(JsonNode? node)
    {
        if (Str(node) is not { } s) return null;
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { return []; }
    }

    /// <summary>A []byte as Go's %#v prints it in a field error: <c>[]byte{0x2d, 0x2d}</c>, <c>[]byte(nil)</c>.</summary>
    internal static GoValue GoBytes(byte[]? bytes)
    {
        if (bytes == null) return new GoValue("[]byte(nil)");
        var sb = new StringBuilder("[]byte{");
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append("0x").Append(bytes[i].ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }
        return new GoValue(sb.Append('}').ToString());
    }
}
