using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Validation;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Toolforge's ingress-admission: an Ingress in a tool namespace serves only <c>&lt;tool&gt;.&lt;domain&gt;</c>.
/// Unlike Toolforge's unanchored regular expression, the host must be exactly that name
/// (<c>alpha.localhost.evil.net</c> is refused), and a rule without a host or a default backend, which
/// would catch every host, is refused too. TLS hosts follow the same rule.
/// </summary>
public sealed class ToolIngressPolicy(IToolResolver tools, ToolforgeOptions options) : IAdmissionPlugin
{
    public string Name => "ToolforgeIngressPolicy";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Resource.Group != "networking.k8s.io" || a.Resource.Resource != "ingresses" || a.Subresource.Length > 0) return;
        if (a.Object?["spec"] is not JsonObject spec) return;
        if (a.Operation == AdmissionOperation.Update && JsonNode.DeepEquals(spec, a.OldObject?["spec"])) return;
        if (a.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update)) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) is not { } scope) return;
        if (scope.Tool.Length == 0) throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, scope.Problem ?? "not a tool namespace");
        if (Problem(spec, scope.Tool, options.Domain) is { } problem) throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, problem);
    }

    /// <summary>Why the Ingress spec may not be served for the tool; null when it may.</summary>
    internal static string? Problem(JsonObject spec, string tool, string domain)
    {
        var want = $"{tool}.{domain}";
        var message = $"Ingress host must be {want}";
        if (spec["defaultBackend"] is JsonObject) return $"Ingress defaultBackend is not allowed, it catches every host: {message}";
        foreach (var rule in (spec["rules"] as JsonArray ?? []).OfType<JsonObject>())
            if (JsonRead.Str(rule["host"]) != want) return message;
        foreach (var tls in (spec["tls"] as JsonArray ?? []).OfType<JsonObject>())
            foreach (var host in tls["hosts"] as JsonArray ?? [])
                if (JsonRead.Str(host) != want) return message;
        return null;
    }
}
