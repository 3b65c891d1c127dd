using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Authentication;

/// <summary>How service accounts appear as users (k8s.io/apiserver/pkg/authentication/serviceaccount).</summary>
public static class ServiceAccountUser
{
    public const string UsernamePrefix = "system:serviceaccount:";
    public const string AllServiceAccountsGroup = "system:serviceaccounts";
    public const string NamespaceGroupPrefix = "system:serviceaccounts:";
    public const string AllAuthenticatedGroup = "system:authenticated";
    public const string AllUnauthenticatedGroup = "system:unauthenticated";
    public const string AnonymousUser = "system:anonymous";

    public const string PodNameKey = "authentication.kubernetes.io/pod-name";
    public const string PodUidKey = "authentication.kubernetes.io/pod-uid";
    public const string NodeNameKey = "authentication.kubernetes.io/node-name";
    public const string NodeUidKey = "authentication.kubernetes.io/node-uid";
    public const string CredentialIdKey = "authentication.kubernetes.io/credential-id";

    public static string MakeUsername(string ns, string name) => UsernamePrefix + ns + ":" + name;

    public static IReadOnlyList<string> MakeGroupNames(string ns) => [AllServiceAccountsGroup, NamespaceGroupPrefix + ns];

    /// <summary>The namespace and name of a service account username; false unless both are valid names.</summary>
    public static bool TrySplitUsername(string username, out string ns, out string name)
    {
        ns = name = "";
        if (!username.StartsWith(UsernamePrefix, StringComparison.Ordinal)) return false;
        var parts = username[UsernamePrefix.Length..].Split(':');
        if (parts.Length != 2) return false;
        if (NameValidation.IsDns1123Label(parts[0]).Count > 0 || NameValidation.IsDns1123Subdomain(parts[1]).Count > 0) return false;
        (ns, name) = (parts[0], parts[1]);
        return true;
    }

    /// <summary>
    /// The user a verified token stands for (ServiceAccountInfo.UserInfo), with <c>system:authenticated</c>
    /// added as kube-apiserver's authenticated-group adder does.
    /// </summary>
    public static UserInfo For(ServiceAccountTokenClaims c)
    {
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (c.Pod is { } pod && pod.Name.Length > 0 && pod.Uid.Length > 0)
        {
            extra[PodNameKey] = [pod.Name];
            extra[PodUidKey] = [pod.Uid];
        }
        if (c.Id.Length > 0) extra[CredentialIdKey] = ["JTI=" + c.Id];
        if (c.Node is { } node && node.Name.Length > 0)
        {
            extra[NodeNameKey] = [node.Name];
            if (node.Uid.Length > 0) extra[NodeUidKey] = [node.Uid];
        }
        return new UserInfo(MakeUsername(c.Namespace, c.ServiceAccount.Name), [.. MakeGroupNames(c.Namespace), AllAuthenticatedGroup], c.ServiceAccount.Uid)
        {
            Extra = extra,
        };
    }
}
