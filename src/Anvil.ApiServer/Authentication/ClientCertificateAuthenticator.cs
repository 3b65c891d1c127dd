using System.Security.Cryptography.X509Certificates;
using Anvil.ApiServer.Certificates;

namespace Anvil.ApiServer.Authentication;

/// <summary>Maps a client certificate signed by the cluster CA to a user: CN = name, each O = a group.</summary>
public sealed class ClientCertificateAuthenticator(ClusterPki pki)
{
    public UserInfo? Authenticate(X509Certificate2? cert)
    {
        if (cert == null || !pki.IsTrustedClient(cert)) return null;
        var name = cert.GetNameInfo(X509NameType.SimpleName, false);
        if (string.IsNullOrEmpty(name)) return null;
        var groups = new List<string>();
        foreach (var rdn in cert.SubjectName.EnumerateRelativeDistinguishedNames())
            if (rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() is { } o) groups.Add(o);
        groups.Add("system:authenticated");
        return new UserInfo(name, groups);
    }
}
