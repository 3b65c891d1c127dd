namespace Anvil.ApiServer.Authorization;

/// <summary>
/// Authorizers in order (<c>--authorization-mode=Node,RBAC</c>): the first Allow or Deny decides; when none has an
/// opinion, their reasons are joined as upstream's union authorizer does, so a node's 403 says why.
/// </summary>
public sealed class UnionAuthorizer(IReadOnlyList<IAuthorizer> authorizers) : IAuthorizer
{
    public IReadOnlyList<IAuthorizer> Authorizers { get; } = authorizers;

    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        List<string>? reasons = null;
        foreach (var a in Authorizers)
        {
            var d = await a.AuthorizeAsync(attributes, ct).ConfigureAwait(false);
            if (d.Decision != Decision.NoOpinion) return d;
            if (d.Reason.Length > 0) (reasons ??= []).Add(d.Reason);
        }
        return reasons == null ? AuthorizationDecision.NoOpinion : new AuthorizationDecision(Decision.NoOpinion, string.Join("\n", reasons));
    }
}
