using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// A create-only resource that is computed, not stored (SubjectAccessReview, SelfSubjectRulesReview, ...):
/// the handler decodes and checks the body as for any create, then answers 201 with what this returns.
/// </summary>
public interface IVirtualResource
{
    Task<JsonObject> CreateAsync(ResourceDefinition def, string ns, JsonObject obj, UserInfo user, CancellationToken ct);
}
