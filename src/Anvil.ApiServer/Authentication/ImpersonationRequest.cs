namespace Anvil.ApiServer.Authentication;

/// <summary>
/// One thing a request asks to act as, like the v1.ObjectReference kube-apiserver builds from the
/// Impersonate-* headers: Kind User, ServiceAccount, Group, UserExtra (key in FieldPath) or UID.
/// </summary>
public sealed record ImpersonationRequest(string Kind, string Name, string Namespace = "", string ApiVersion = "", string FieldPath = "")
{
    /// <summary>Go's %v of the ObjectReference: <c>{Kind Namespace Name UID APIVersion ResourceVersion FieldPath}</c>.</summary>
    public override string ToString() => $"{{{Kind} {Namespace} {Name}  {ApiVersion}  {FieldPath}}}";
}
