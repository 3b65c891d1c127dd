using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> checked by each token authenticator in turn (kube-apiserver's
/// bearertoken + token union). A request that carries a bearer token no authenticator accepts is refused
/// with 401; it never falls through to another way in.
/// </summary>
public sealed class BearerTokenAuthenticator(IReadOnlyList<ITokenAuthenticator> tokens) : IAuthenticator, ITokenAuthenticator
{
    public const string InvalidToken = "invalid bearer token";

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext ctx, CancellationToken ct)
    {
        var token = BearerToken(ctx.Request.Headers.Authorization.ToString());
        if (token == null) return null;
        var result = await AuthenticateTokenAsync(token, null, ct).ConfigureAwait(false);
        return result.User ?? throw StatusError.Unauthorized();
    }

    /// <summary>The token of an <c>Authorization</c> value, or null when it is not a non-empty bearer token.</summary>
    public static string? BearerToken(string header)
    {
        var parts = header.Trim().Split(' ', 3);
        if (parts.Length < 2 || !parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase)) return null;
        return parts[1].Length == 0 ? null : parts[1];
    }

    public async ValueTask<TokenAuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken ct)
    {
        var errors = new List<string>();
        foreach (var t in tokens)
        {
            var r = await t.AuthenticateTokenAsync(token, audiences, ct).ConfigureAwait(false);
            if (r.Authenticated) return r;
            if (r.Error.Length > 0) errors.Add(r.Error);
        }
        // As utilerrors.NewAggregate: one error reads as itself, several as "[a, b]".
        return TokenAuthenticationResult.Failed(errors.Count switch
        {
            0 => InvalidToken,
            1 => errors[0],
            _ => "[" + string.Join(", ", errors) + "]",
        });
    }
}
