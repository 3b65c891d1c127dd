namespace Anvil.E2E.Harness;

public sealed class ServerStartException(string message) : Exception(message);
