using Anvil.ApiServer.Authentication;

namespace Anvil.ApiServer.Authorization;

/// <summary>What is being asked (k8s.io/apiserver authorizer.Attributes).</summary>
public sealed record AuthorizationAttributes
{
    public required UserInfo User { get; init; }
    public required string Verb { get; init; }
    public bool IsResourceRequest { get; init; }
    /// <summary>For non-resource requests: the URL path, e.g. /healthz or /apis.</summary>
    public string Path { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string ApiGroup { get; init; } = "";
    public string ApiVersion { get; init; } = "";
    public string Resource { get; init; } = "";
    public string Subresource { get; init; } = "";
    public string Name { get; init; } = "";
}
