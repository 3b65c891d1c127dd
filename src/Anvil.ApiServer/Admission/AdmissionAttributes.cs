using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Admission;

/// <summary>What an admission plugin sees of a request (k8s.io/apiserver admission.Attributes).</summary>
public sealed record AdmissionAttributes(
    AdmissionOperation Operation,
    ResourceDefinition Resource,
    string Subresource,
    string Namespace,
    string Name,
    JsonObject? Object,
    JsonObject? OldObject,
    UserInfo User,
    bool DryRun)
{
    /// <summary>Warnings for the client (the <c>Warning</c> header), e.g. from admission webhooks; shared with the request's write options.</summary>
    public List<string> Warnings { get; init; } = [];
}
