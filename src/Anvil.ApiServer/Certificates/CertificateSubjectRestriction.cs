using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Registry.Certificates;
using Anvil.Machinery.Errors;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// Refuses new kube-apiserver-client CSRs that ask for the <c>system:masters</c> group, which no
/// authorizer can limit (plugin/pkg/admission/certificates/subjectrestriction).
/// </summary>
public sealed class CertificateSubjectRestriction : IAdmissionPlugin
{
    public string Name => "CertificateSubjectRestriction";

    public ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Operation != AdmissionOperation.Create || a.Subresource.Length > 0 || !CertificateAdmission.IsCsr(a) || a.Object == null) return ValueTask.CompletedTask;
        var signerName = Str(a.Object["spec"]?["signerName"]) ?? "";
        if (signerName != CsrSigner.KubeApiServerClient) return ValueTask.CompletedTask;
        var pem = CertificateSigningRequestValidation.Bytes(a.Object["spec"]?["request"]) ?? [];
        if (!CsrRequestParser.TryParse(pem, out var request, out var error))
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"failed to parse CSR: {error}");
        if (CsrSigner.Organizations(request!.SubjectName).Contains("system:masters"))
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"use of {signerName} signer with system:masters group is not allowed");
        return ValueTask.CompletedTask;
    }
}
