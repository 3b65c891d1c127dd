using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;

namespace Anvil.ApiServer.Certificates;

/// <summary>What the certificate admission plugins share (pkg/apis/certificates IsAuthorizedForSignerName).</summary>
internal static class CertificateAdmission
{
    public static bool IsCsr(AdmissionAttributes a) =>
        a.Resource.Group == "certificates.k8s.io" && a.Resource.Resource == "certificatesigningrequests";

    /// <summary>
    /// Whether <paramref name="user"/> may <paramref name="verb"/> (approve, sign) for a signer: the
    /// <c>signers</c> resource named after it, or its whole domain (<c>example.com/*</c>).
    /// </summary>
    public static async ValueTask<bool> IsAuthorizedForSignerAsync(IAuthorizer authorizer, UserInfo user, string verb, string signerName, CancellationToken ct)
    {
        AuthorizationAttributes For(string name) => new()
        {
            User = user, Verb = verb, IsResourceRequest = true, ApiGroup = "certificates.k8s.io", ApiVersion = "*",
            Resource = "signers", Name = name,
        };
        if ((await authorizer.AuthorizeAsync(For(signerName), ct).ConfigureAwait(false)).Allowed) return true;
        var domain = signerName.Split('/')[0];
        return (await authorizer.AuthorizeAsync(For(domain + "/*"), ct).ConfigureAwait(false)).Allowed;
    }
}
