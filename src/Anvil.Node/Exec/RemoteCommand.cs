using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Node.Exec;

/// <summary>
/// The channel protocol of <c>kubectl exec</c>/<c>attach</c> over WebSocket (<c>v4.channel.k8s.io</c>,
/// <c>v5.channel.k8s.io</c>): every binary message starts with its channel; the error channel carries one
/// metav1.Status at the end; v5 adds channel 255, whose payload names a channel the client has closed.
/// </summary>
public static class RemoteCommand
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";

    public const byte StdinChannel = 0, StdoutChannel = 1, StderrChannel = 2, ErrorChannel = 3, ResizeChannel = 4, CloseChannel = 255;

    /// <summary>The subprotocols served, most preferred first.</summary>
    public static readonly IReadOnlyList<string> Protocols = [V5, V4];

    /// <summary>The protocol to use for a client's offer (Sec-WebSocket-Protocol values), or null when none fits.</summary>
    public static string? Negotiate(IEnumerable<string> offered)
    {
        var set = offered.SelectMany(o => o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        return Protocols.FirstOrDefault(set.Contains);
    }

    /// <summary>One message: the channel byte, then the data.</summary>
    public static byte[] Frame(byte channel, ReadOnlySpan<byte> data)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame.AsSpan(1));
        return frame;
    }

    public static byte[] SuccessStatus() => Encode(new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" });

    /// <summary>
    /// The status of a command that exited non-zero, as the kubelet reports it; kubectl turns it into
    /// "command terminated with exit code N" and exits with N.
    /// </summary>
    public static byte[] ExitCodeStatus(IReadOnlyList<string> command, int exitCode)
    {
        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        return Encode(new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code }) },
        });
    }

    /// <summary>Any other failure: kubectl prints the message as the error.</summary>
    public static byte[] FailureStatus(string message) =>
        Encode(new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message });

    /// <summary>A resize message (<c>{"Width":80,"Height":24}</c>); null when it is not one.</summary>
    public static (ushort Width, ushort Height)? ParseResize(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            ushort Field(string name) =>
                doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt16(out var n) ? n : (ushort)0;
            return (Field("Width"), Field("Height"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Encode(JsonObject status) => System.Text.Encoding.UTF8.GetBytes(status.ToJsonString());
}
