using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Endpoints;

/// <summary>The HTTP status and object a subresource handler answers with (201 and the TokenRequest, for example).</summary>
public sealed record SubresourceResult(int StatusCode, JsonObject Object);
