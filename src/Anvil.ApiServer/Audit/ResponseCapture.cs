using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// The response body stream during an audited request: passes everything through and keeps a copy, up to
/// <see cref="MaxBytes"/>, when the audit needs it (RequestResponse level, or an error Status to read).
/// What to keep is decided at the first write, when the status code is known.
/// </summary>
internal sealed class ResponseCapture(Stream inner, HttpResponse response, Func<bool> wantsBody) : Stream
{
    /// <summary>Larger responses are not logged (upstream logs the object; a partial one would not parse).</summary>
    public const int MaxBytes = 1024 * 1024;

    private MemoryStream? _copy;
    private bool _decided;

    public Stream Inner => inner;

    /// <summary>The whole response body when it was kept and not cut; else null.</summary>
    public byte[]? Captured => _copy is { } c && !Truncated ? c.ToArray() : null;

    public bool Truncated { get; private set; }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (!_decided)
        {
            _decided = true;
            if (response.StatusCode >= 400 || wantsBody()) _copy = new MemoryStream();
        }
        if (_copy == null || Truncated) return;
        if (_copy.Length + data.Length > MaxBytes)
        {
            Truncated = true;
            _copy = null;
            return;
        }
        _copy.Write(data);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Keep(buffer);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Keep(buffer.AsSpan(offset, count));
        return inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
