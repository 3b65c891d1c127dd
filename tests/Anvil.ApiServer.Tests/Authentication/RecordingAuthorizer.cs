using Anvil.ApiServer.Authorization;

namespace Anvil.ApiServer.Tests.Authentication;

/// <summary>Allows what <paramref name="allow"/> allows and records every question.</summary>
internal sealed class RecordingAuthorizer(Func<AuthorizationAttributes, bool> allow) : IAuthorizer
{
    public List<AuthorizationAttributes> Asked { get; } = [];

    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        Asked.Add(attributes);
        return ValueTask.FromResult(new AuthorizationDecision(allow(attributes) ? Decision.Allow : Decision.NoOpinion));
    }
}
