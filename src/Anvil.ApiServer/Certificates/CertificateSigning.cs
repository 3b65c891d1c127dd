using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authorization;
using Anvil.Machinery.Errors;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// Changing <c>status.certificate</c> or the conditions through <c>certificatesigningrequests/status</c> needs the
/// <c>sign</c> verb on the CSR's signer (plugin/pkg/admission/certificates/signing).
/// </summary>
public sealed class CertificateSigning(Func<IAuthorizer> authorizer) : IAdmissionPlugin
{
    public string Name => "CertificateSigning";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Subresource != "status" || !CertificateAdmission.IsCsr(a) || a.Object == null || a.OldObject == null) return;
        if (JsonNode.DeepEquals(a.Object["status"]?["certificate"], a.OldObject["status"]?["certificate"])
            && JsonNode.DeepEquals(a.Object["status"]?["conditions"], a.OldObject["status"]?["conditions"])) return;
        var signerName = Str(a.OldObject["spec"]?["signerName"]) ?? "";
        if (!await CertificateAdmission.IsAuthorizedForSignerAsync(authorizer(), a.User, "sign", signerName, ct).ConfigureAwait(false))
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"user not permitted to sign requests with signerName \"{signerName}\"");
    }
}
