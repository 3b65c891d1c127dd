namespace Anvil.ApiServer.Authorization;

/// <summary>
/// Allows everything for authenticated users: the API server issue's behaviour before RBAC exists.
/// Named so it cannot be mistaken for a policy; replaced by the RBAC authorizer.
/// </summary>
public sealed class AlwaysAllowAuthorizer : IAuthorizer
{
    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct) =>
        ValueTask.FromResult(new AuthorizationDecision(Decision.Allow));
}
