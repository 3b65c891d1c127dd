using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// A get (<see cref="Name"/> set) or list of a read-only resource; <see cref="Predicate"/> is the parsed
/// labelSelector/fieldSelector (null: everything), to apply to the objects the answer is derived from.
/// </summary>
public sealed record VirtualReadRequest(ResourceDefinition Resource, string Namespace, string Name, Func<JsonObject, bool>? Predicate);
