namespace Anvil.ApiServer.Encryption;

/// <summary>A stored value could not be decrypted (wrong or missing key, corrupt data) or a configuration is invalid.</summary>
public sealed class EncryptionException(string message, Exception? inner = null) : Exception(message, inner);
