namespace Anvil.ApiServer.Authentication;

/// <summary>Impersonation headers that cannot be acted on (groups, extras or a uid without a user).</summary>
public sealed class ImpersonationHeaderException(string message) : Exception(message);
