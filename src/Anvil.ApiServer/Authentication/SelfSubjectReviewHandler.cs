using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// POST authentication.k8s.io/v1 selfsubjectreviews (<c>kubectl auth whoami</c>): the caller's user as the
/// server sees it, after impersonation (pkg/registry/authentication/selfsubjectreview).
/// </summary>
public sealed class SelfSubjectReviewHandler(TimeProvider time) : IVirtualCreateHandler
{
    public Task<JsonObject> CreateAsync(VirtualCreateRequest request, CancellationToken ct) =>
        Task.FromResult(new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = request.Resource.ApiVersion,
            ["metadata"] = new JsonObject { ["creationTimestamp"] = ObjectMeta.FormatTime(time.GetUtcNow()) },
            ["status"] = new JsonObject { ["userInfo"] = UserInfoJson.For(request.Options.User) },
        });
}
