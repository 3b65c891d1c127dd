using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

public sealed record ListResult(IReadOnlyList<JsonObject> Items, long ResourceVersion, string Continue, long? RemainingItemCount);
