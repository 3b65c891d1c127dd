using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>Keeps <c>metadata.managedFields</c> up to date on every write.</summary>
public interface IManagedFieldsHook
{
    void OnCreate(ResourceDefinition def, JsonObject obj, WriteOptions options);
    void OnUpdate(ResourceDefinition def, JsonObject obj, JsonObject old, WriteOptions options);
}
