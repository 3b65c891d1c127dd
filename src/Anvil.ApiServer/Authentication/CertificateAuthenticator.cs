using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Authentication;

/// <summary>The TLS client certificate as a credential: trusted ones map to a user, untrusted ones are refused.</summary>
public sealed class CertificateAuthenticator(ClientCertificateAuthenticator certificates) : IAuthenticator
{
    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext ctx, CancellationToken ct)
    {
        var cert = ctx.Connection.ClientCertificate ?? await ctx.Connection.GetClientCertificateAsync(ct).ConfigureAwait(false);
        if (cert == null) return null;
        return certificates.Authenticate(cert) ?? throw StatusError.Unauthorized();
    }
}
