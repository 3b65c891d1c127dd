using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// Reads a CSR's <c>spec.request</c>: the first PEM block must be a <c>CERTIFICATE REQUEST</c> whose
/// PKCS#10 signature verifies (pkg/apis/certificates ParseCSR + CheckSignature). Errors carry Go's wording.
/// </summary>
public static class CsrRequestParser
{
    public const string WrongBlockType = "PEM block type must be CERTIFICATE REQUEST";

    /// <summary>Parses and verifies a request; the result keeps the request's extensions (SANs).</summary>
    public static bool TryParse(byte[] pem, out CertificateRequest? request, out string error)
    {
        request = null;
        error = "";
        if (!TryFindBlock(pem, out var label, out var der) || label != "CERTIFICATE REQUEST")
        {
            error = WrongBlockType;
            return false;
        }
        CertificateRequest parsed;
        try
        {
            parsed = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.SkipSignatureValidation | CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException)
        {
            error = "x509: malformed certificate request";
            return false;
        }
        try
        {
            CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException)
        {
            error = parsed.PublicKey.Oid.Value switch
            {
                "1.2.840.10045.2.1" => "x509: ECDSA verification failure",
                "1.2.840.113549.1.1.1" => "crypto/rsa: verification error",
                _ => "x509: cannot verify signature: algorithm unimplemented",
            };
            return false;
        }
        request = parsed;
        return true;
    }

    /// <summary>The first PEM block in <paramref name="data"/> (Go's pem.Decode skips leading text too).</summary>
    internal static bool TryFindBlock(ReadOnlySpan<byte> data, out string label, out byte[] der)
    {
        var text = Encoding.Latin1.GetString(data);
        return TryFindBlock(text, out label, out der, out _);
    }

    /// <summary>The first PEM block in <paramref name="text"/> and where it ends.</summary>
    internal static bool TryFindBlock(string text, out string label, out byte[] der, out int end)
    {
        label = "";
        der = [];
        end = 0;
        if (!PemEncoding.TryFind(text, out var fields)) return false;
        label = text[fields.Label];
        der = Convert.FromBase64String(text[fields.Base64Data]);
        end = fields.Location.End.GetOffset(text.Length);
        return true;
    }
}
