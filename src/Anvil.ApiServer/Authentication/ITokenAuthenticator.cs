namespace Anvil.ApiServer.Authentication;

/// <summary>
/// Checks a bearer token (k8s.io/apiserver authenticator.Token). Used for the <c>Authorization</c> header and
/// by TokenReview. Must not throw for bad tokens: the result says why.
/// </summary>
public interface ITokenAuthenticator
{
    /// <param name="audiences">The audiences the token must be meant for; null for the API server's own.</param>
    ValueTask<TokenAuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken ct);
}
