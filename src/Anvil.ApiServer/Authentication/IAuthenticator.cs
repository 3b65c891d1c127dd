using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// One way of proving who a request comes from (client certificate, bearer token). Returns null when the
/// request carries no credential of this kind; throws <c>StatusError.Unauthorized</c> when it carries one that
/// is invalid (unknown, expired, forged), as kube-apiserver's union authenticator does.
/// </summary>
public interface IAuthenticator
{
    ValueTask<UserInfo?> AuthenticateAsync(HttpContext ctx, CancellationToken ct);
}
