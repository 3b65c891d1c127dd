namespace Anvil.ApiServer.Authorization;

public enum Decision { NoOpinion, Allow, Deny }

/// <summary>An authorizer's answer, with the reason kube-apiserver would give (shown in access reviews).</summary>
public sealed record AuthorizationDecision(Decision Decision, string Reason = "")
{
    public bool Allowed => Decision == Decision.Allow;
    public static readonly AuthorizationDecision NoOpinion = new(Decision.NoOpinion);
}
