namespace Anvil.ApiServer.Audit;

/// <summary>Audit lines to a stream such as stdout (<c>--audit-log-path -</c>); no rotation.</summary>
public sealed class StreamAuditLogWriter(Stream stream, bool ownsStream = false) : IAuditLogWriter
{
    public void Write(ReadOnlySpan<byte> line) => stream.Write(line);

    public void Flush() => stream.Flush();

    public void Dispose()
    {
        stream.Flush();
        if (ownsStream) stream.Dispose();
    }
}
