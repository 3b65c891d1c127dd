using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Endpoints;

/// <summary>A POST to <c>{resource}/{name}/{subresource}</c>: the body has been decoded and its apiVersion/kind checked.</summary>
/// <param name="Options">dryRun, fieldManager, the (possibly impersonated) user; warnings added here reach the client.</param>
public sealed record SubresourceRequest(
    ResourceDefinition Resource,
    SubresourceDefinition Subresource,
    string Namespace,
    string Name,
    JsonObject Body,
    WriteOptions Options);
