using Anvil.Client;

namespace Anvil.Controllers.ServiceAccount;

internal static class ServiceAccountResources
{
    public static readonly ResourceRef ServiceAccounts = new("", "v1", "serviceaccounts", true);
    public static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);
    public static readonly ResourceRef Secrets = new("", "v1", "secrets", true);

    public static bool IsTerminating(System.Text.Json.Nodes.JsonObject ns) =>
        ns["metadata"]?["deletionTimestamp"] != null || (string?)ns["status"]?["phase"] == "Terminating";
}
