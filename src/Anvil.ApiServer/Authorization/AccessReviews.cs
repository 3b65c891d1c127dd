using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// authorization.k8s.io/v1 access reviews (pkg/registry/authorization/*): SelfSubjectAccessReview,
/// SubjectAccessReview, LocalSubjectAccessReview and SelfSubjectRulesReview. Create-only and never stored:
/// the answer is the request with <c>status</c> filled from the authorizer. <c>kubectl auth can-i</c> uses them.
/// </summary>
public sealed class AccessReviews(Func<IAuthorizer> authorizer, RbacAuthorizer rules) : IVirtualCreateHandler
{
    public const string Group = "authorization.k8s.io";

    /// <summary>The four resources this answers, registered in <see cref="ApiHandler.VirtualCreates"/>.</summary>
    public static readonly string[] Resources = ["selfsubjectaccessreviews", "subjectaccessreviews", "localsubjectaccessreviews", "selfsubjectrulesreviews"];

    /// <summary>Registers the reviews with the REST handler.</summary>
    public void Register(ApiHandler handler)
    {
        foreach (var r in Resources) handler.VirtualCreates.Add(Group, r, this);
    }

    Task<JsonObject> IVirtualCreateHandler.CreateAsync(VirtualCreateRequest request, CancellationToken ct) =>
        CreateAsync(request.Resource, request.Namespace, request.Body, request.Options.User, ct);

    public async Task<JsonObject> CreateAsync(ResourceDefinition def, string ns, JsonObject obj, UserInfo user, CancellationToken ct)
    {
        if (def.Schema != null)
        {
            if (Anvil.Machinery.FieldValidation.GoDecodeCheck.FindTypeError(obj, def.Schema) is { } typeError)
                throw StatusError.BadRequest($"{def.Kind} in version \"{def.Version}\" cannot be handled as a {def.Kind}: {typeError}");
            Anvil.Machinery.FieldValidation.GoDecodeCheck.DropUnknownFields(obj, def.Schema);
        }
        obj["apiVersion"] = def.ApiVersion;
        obj["kind"] = def.Kind;
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        if (def.Namespaced && ns.Length > 0) meta["namespace"] = ns;
        meta["creationTimestamp"] ??= null;
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;

        if (def.Resource == "selfsubjectrulesreviews")
        {
            obj["status"] = RulesReview(spec, user);
            return obj;
        }

        var errors = ValidateSpec(spec, requireSubject: def.Resource != "selfsubjectaccessreviews");
        if (def.Resource == "localsubjectaccessreviews" && spec["nonResourceAttributes"] is JsonObject)
            errors.Add(FieldError.Invalid("spec.nonResourceAttributes", new GoValue("&authorization.NonResourceAttributes{...}"), "disallowed on this kind of request"));
        if (errors.Count > 0) throw StatusError.Invalid(def.Gvk, "", errors);
        if (def.Resource == "localsubjectaccessreviews" && Str(spec["resourceAttributes"]?["namespace"]) != ns)
            throw StatusError.BadRequest($"spec.resourceAttributes.namespace must match namespace: {ns}");

        var subject = def.Resource == "selfsubjectaccessreviews" ? user : SubjectOf(spec);
        var attributes = AttributesFrom(spec, subject);
        AuthorizationDecision decision;
        string evaluationError = "";
        try
        {
            decision = await authorizer().AuthorizeAsync(attributes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            decision = AuthorizationDecision.NoOpinion;
            evaluationError = e.Message;
        }
        var status = new JsonObject { ["allowed"] = decision.Decision == Decision.Allow };
        if (decision.Decision == Decision.Deny) status["denied"] = true;
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        if (evaluationError.Length > 0) status["evaluationError"] = evaluationError;
        obj["status"] = status;
        return obj;
    }

    private JsonObject RulesReview(JsonObject spec, UserInfo user)
    {
        var ns = Str(spec["namespace"]) ?? "";
        if (ns.Length == 0) throw StatusError.BadRequest("no namespace on request");
        var (found, errors) = rules.RulesFor(user, ns);
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var r in found)
        {
            if (r.Resources.Count > 0)
            {
                var o = new JsonObject { ["verbs"] = Strings(r.Verbs) };
                if (r.ApiGroups.Count > 0) o["apiGroups"] = Strings(r.ApiGroups);
                o["resources"] = Strings(r.Resources);
                if (r.ResourceNames.Count > 0) o["resourceNames"] = Strings(r.ResourceNames);
                resourceRules.Add(o);
            }
            if (r.NonResourceUrls.Count > 0)
                nonResourceRules.Add(new JsonObject { ["verbs"] = Strings(r.Verbs), ["nonResourceURLs"] = Strings(r.NonResourceUrls) });
        }
        var status = new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = false };
        if (errors.Count > 0) status["evaluationError"] = RbacAuthorizer.Aggregate(errors);
        return status;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec.</summary>
    private static List<FieldError> ValidateSpec(JsonObject spec, bool requireSubject)
    {
        var errors = new List<FieldError>();
        var hasResource = spec["resourceAttributes"] is JsonObject;
        var hasNonResource = spec["nonResourceAttributes"] is JsonObject;
        if (hasResource && hasNonResource)
            errors.Add(FieldError.Invalid("spec.nonResourceAttributes", new GoValue("&authorization.NonResourceAttributes{...}"), "cannot be specified in combination with resourceAttributes"));
        if (!hasResource && !hasNonResource)
            errors.Add(FieldError.Invalid("spec.resourceAttributes", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
        if (requireSubject && string.IsNullOrEmpty(Str(spec["user"])) && (Arr(spec["groups"])?.Count ?? 0) == 0)
            errors.Add(FieldError.Invalid("spec.user", Str(spec["user"]) ?? "", "at least one of user or group must be specified"));
        return errors;
    }

    /// <summary>The user a SubjectAccessReview asks about: exactly as given (no implied groups).</summary>
    private static UserInfo SubjectOf(JsonObject spec)
    {
        var groups = (Arr(spec["groups"]) ?? []).Select(Str).OfType<string>().ToList();
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (spec["extra"] is JsonObject e)
            foreach (var (k, v) in e) extra[k] = (Arr(v) ?? []).Select(Str).OfType<string>().ToList();
        return new UserInfo(Str(spec["user"]) ?? "", groups, Str(spec["uid"]) ?? "") { Extra = extra };
    }

    /// <summary>authorizationutil.AuthorizationAttributesFrom: an empty version matches all ("*").</summary>
    private static AuthorizationAttributes AttributesFrom(JsonObject spec, UserInfo user)
    {
        if (spec["resourceAttributes"] is JsonObject r)
        {
            var version = Str(r["version"]) ?? "";
            return new AuthorizationAttributes
            {
                User = user, Verb = Str(r["verb"]) ?? "", IsResourceRequest = true, Namespace = Str(r["namespace"]) ?? "",
                ApiGroup = Str(r["group"]) ?? "", ApiVersion = version.Length == 0 ? "*" : version, Resource = Str(r["resource"]) ?? "",
                Subresource = Str(r["subresource"]) ?? "", Name = Str(r["name"]) ?? "",
            };
        }
        var n = spec["nonResourceAttributes"] as JsonObject;
        return new AuthorizationAttributes { User = user, Verb = Str(n?["verb"]) ?? "", Path = Str(n?["path"]) ?? "" };
    }
}
