using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// POST authentication.k8s.io/v1 tokenreviews: authenticates <c>spec.token</c> for <c>spec.audiences</c>
/// (default: the API server's) with the same authenticators as bearer requests, and answers with the body
/// and its status filled (pkg/registry/authentication/tokenreview).
/// </summary>
public sealed class TokenReviewHandler(ITokenAuthenticator tokens, IReadOnlyList<string> apiAudiences) : IVirtualCreateHandler
{
    public async Task<JsonObject> CreateAsync(VirtualCreateRequest request, CancellationToken ct)
    {
        var review = request.Body;
        var spec = review["spec"] as JsonObject;
        var token = spec?["token"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : "";
        if (token.Length == 0) throw StatusError.BadRequest("token is required for TokenReview in authentication");
        IReadOnlyList<string> audiences = spec?["audiences"] is JsonArray a
            ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var text) ? text : "").ToList()
            : [];
        if (audiences.Count == 0) audiences = apiAudiences;

        var result = await tokens.AuthenticateTokenAsync(token, audiences, ct).ConfigureAwait(false);
        // TokenReviewStatus: authenticated, audiences and error are omitempty; user is a struct and always present.
        var status = new JsonObject();
        if (result.User != null)
        {
            status["authenticated"] = true;
            status["user"] = UserInfoJson.For(result.User);
            if (result.Audiences.Count > 0) status["audiences"] = new JsonArray(result.Audiences.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        }
        else
        {
            status["user"] = new JsonObject();
        }
        if (result.Error.Length > 0) status["error"] = result.Error;
        // Re-encoded as the typed object: kind, apiVersion, metadata, spec, status.
        return new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = request.Resource.ApiVersion,
            ["metadata"] = review["metadata"] is JsonObject m ? m.DeepClone() : new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec?.DeepClone() ?? new JsonObject(),
            ["status"] = status,
        };
    }
}
