namespace Anvil.ApiServer.Certificates;

/// <summary>What a signer does with one CSR: nothing (both null), issue <see cref="CertificatePem"/>, or mark it Failed with <see cref="Failure"/>.</summary>
public sealed record CsrSigningResult(string? CertificatePem = null, string? Failure = null)
{
    public static readonly CsrSigningResult Nothing = new();
}
