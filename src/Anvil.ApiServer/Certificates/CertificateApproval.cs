using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authorization;
using Anvil.Machinery.Errors;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// Writes to <c>certificatesigningrequests/approval</c> need the <c>approve</c> verb on the CSR's signer
/// (plugin/pkg/admission/certificates/approval).
/// </summary>
public sealed class CertificateApproval(Func<IAuthorizer> authorizer) : IAdmissionPlugin
{
    public string Name => "CertificateApproval";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Subresource != "approval" || !CertificateAdmission.IsCsr(a) || a.Object == null) return;
        var signerName = Str(a.Object["spec"]?["signerName"]) ?? "";
        if (!await CertificateAdmission.IsAuthorizedForSignerAsync(authorizer(), a.User, "approve", signerName, ct).ConfigureAwait(false))
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"user not permitted to approve requests with signerName \"{signerName}\"");
    }
}
