namespace Anvil.ApiServer.Authorization;

/// <summary>Decides whether a user may do something. Implementations are thread-safe and fast (called on every request).</summary>
public interface IAuthorizer
{
    ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct);
}
