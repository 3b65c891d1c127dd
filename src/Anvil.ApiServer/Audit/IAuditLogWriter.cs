namespace Anvil.ApiServer.Audit;

/// <summary>Where serialized audit events go, one JSON line each. Called from one background task only.</summary>
public interface IAuditLogWriter : IDisposable
{
    /// <summary>Writes one event; <paramref name="line"/> ends with a newline.</summary>
    void Write(ReadOnlySpan<byte> line);

    void Flush();
}
