using System.Security.Cryptography.X509Certificates;
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
        // A TLS connection keeps its certificate: verify the chain once per connection, not per request.
        var items = ctx.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items;
        if (items?.TryGetValue(typeof(CertificateAuthenticator), out var cached) == true && cached is (X509Certificate2 c, UserInfo u)
            && ReferenceEquals(c, cert) && DateTime.Now < cert.NotAfter)
            return u;
        var user = certificates.Authenticate(cert) ?? throw StatusError.Unauthorized();
        if (items != null) items[typeof(CertificateAuthenticator)] = (cert, user);
        return user;
    }
}
