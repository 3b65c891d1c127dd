using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Protobuf;

/// <summary>
/// Decodes Kubernetes protobuf request bodies (<c>application/vnd.kubernetes.protobuf</c>, which kubectl 1.32
/// sends for every <c>kubectl create &lt;generator&gt;</c>, <c>auth can-i</c>, <c>auth whoami</c> and drain's
/// DeleteOptions) into the JSON object kubectl would have sent as <c>application/json</c>.
/// </summary>
public static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    /// <summary>"k8s" and the encoding byte 0, in front of every protobuf body.</summary>
    public static ReadOnlySpan<byte> Magic => [0x6b, 0x38, 0x73, 0x00];

    public static bool HasMagic(ReadOnlySpan<byte> body) => body.StartsWith(Magic);

    /// <summary>
    /// Decodes a body: the magic bytes, then a runtime.Unknown envelope whose raw field is the object of the
    /// envelope's apiVersion/kind. The result starts with "apiVersion" and "kind", then the object's fields.
    /// </summary>
    /// <exception cref="StatusError">400 BadRequest when the body is not a well-formed protobuf object of a known kind.</exception>
    public static JsonObject Decode(ReadOnlySpan<byte> body) => Decode(body, ProtoSchema.Default);

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte})"/>
    public static JsonObject Decode(ReadOnlySpan<byte> body, ProtoSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        try
        {
            return new ProtoJsonDecoder(schema).DecodeEnvelope(body, 0);
        }
        catch (ProtoFormatException e)
        {
            throw StatusError.BadRequest(e.Message);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or JsonException or InvalidOperationException)
        {
            // Not expected from the reader; still a bad body rather than a 500.
            throw StatusError.BadRequest("the protobuf body could not be decoded: " + e.Message);
        }
    }

    internal static ProtoFormatException Malformed(string message) => new(message);
}
