using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Endpoints;

/// <summary>A POST to a create-only resource: its definition, namespace ("" when cluster-scoped), decoded body and options.</summary>
/// <param name="Options">dryRun, fieldManager, the (possibly impersonated) user; warnings added here reach the client.</param>
public sealed record VirtualCreateRequest(ResourceDefinition Resource, string Namespace, JsonObject Body, WriteOptions Options);
