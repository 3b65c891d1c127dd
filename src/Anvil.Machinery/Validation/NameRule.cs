namespace Anvil.Machinery.Validation;

/// <summary>How a kind's metadata.name is validated (apimachinery/pkg/api/validation NameIsDNS*).</summary>
public enum NameRule
{
    /// <summary>Lowercase RFC 1123 subdomain, at most 253 characters (most kinds).</summary>
    Dns1123Subdomain,
    /// <summary>Lowercase RFC 1123 label, at most 63 characters (namespaces).</summary>
    Dns1123Label,
    /// <summary>RFC 1035 label, at most 63 characters, starting with a letter (services).</summary>
    Dns1035Label,
    /// <summary>A path segment name: anything but "." and ".." and without "/" or "%" (RBAC roles, ...).</summary>
    PathSegment,
}
