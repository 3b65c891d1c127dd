using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// The <c>spec.usages</c> values of certificates.k8s.io/v1 and what they become in a certificate
/// (pkg/controller/certificates/authority keyUsageDict and extKeyUsageDict).
/// </summary>
public static class KeyUsages
{
    private static readonly Dictionary<string, X509KeyUsageFlags> KeyUsage = new(StringComparer.Ordinal)
    {
        ["signing"] = X509KeyUsageFlags.DigitalSignature,
        ["digital signature"] = X509KeyUsageFlags.DigitalSignature,
        ["content commitment"] = X509KeyUsageFlags.NonRepudiation,
        ["key encipherment"] = X509KeyUsageFlags.KeyEncipherment,
        ["key agreement"] = X509KeyUsageFlags.KeyAgreement,
        ["data encipherment"] = X509KeyUsageFlags.DataEncipherment,
        ["cert sign"] = X509KeyUsageFlags.KeyCertSign,
        ["crl sign"] = X509KeyUsageFlags.CrlSign,
        ["encipher only"] = X509KeyUsageFlags.EncipherOnly,
        ["decipher only"] = X509KeyUsageFlags.DecipherOnly,
    };

    // Ordered as Go's x509.ExtKeyUsage constants, the order the signer writes them in.
    private static readonly (string Usage, string Oid)[] ExtKeyUsage =
    [
        ("any", "2.5.29.37.0"),
        ("server auth", "1.3.6.1.5.5.7.3.1"),
        ("client auth", "1.3.6.1.5.5.7.3.2"),
        ("code signing", "1.3.6.1.5.5.7.3.3"),
        ("email protection", "1.3.6.1.5.5.7.3.4"),
        ("s/mime", "1.3.6.1.5.5.7.3.4"),
        ("ipsec end system", "1.3.6.1.5.5.7.3.5"),
        ("ipsec tunnel", "1.3.6.1.5.5.7.3.6"),
        ("ipsec user", "1.3.6.1.5.5.7.3.7"),
        ("timestamping", "1.3.6.1.5.5.7.3.8"),
        ("ocsp signing", "1.3.6.1.5.5.7.3.9"),
        ("microsoft sgc", "1.3.6.1.4.1.311.10.3.3"),
        ("netscape sgc", "2.16.840.1.113730.4.1"),
    ];

    /// <summary>Every valid usage, sorted as Go's sets.String.List() prints them.</summary>
    public static readonly IReadOnlyList<string> All =
        KeyUsage.Keys.Concat(ExtKeyUsage.Select(e => e.Usage)).Order(StringComparer.Ordinal).ToList();

    public static bool IsValid(string usage) => KeyUsage.ContainsKey(usage) || ExtKeyUsage.Any(e => e.Usage == usage);

    /// <summary>The key usage bits and extended key usage OIDs (deduplicated, in Go's order) for <paramref name="usages"/>.</summary>
    public static (X509KeyUsageFlags KeyUsage, IReadOnlyList<Oid> ExtendedKeyUsages) From(IEnumerable<string> usages)
    {
        var flags = X509KeyUsageFlags.None;
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var unrecognized = new List<string>();
        foreach (var u in usages)
        {
            if (KeyUsage.TryGetValue(u, out var f)) flags |= f;
            else if (ExtKeyUsage.FirstOrDefault(e => e.Usage == u) is { Oid: not null } e) wanted.Add(e.Oid);
            else unrecognized.Add(u);
        }
        if (unrecognized.Count > 0)
            throw new ArgumentException($"unrecognized usage values: [{string.Join(" ", unrecognized.Select(Anvil.Machinery.Validation.GoQuote.Quote))}]");
        var ekus = ExtKeyUsage.Select(e => e.Oid).Distinct().Where(wanted.Contains).Select(o => new Oid(o)).ToList();
        return (flags, ekus);
    }
}
