using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.Authentication;

/// <summary>A compact JWS (header.payload.signature) with RS256, the only form service account tokens take.</summary>
internal sealed class JsonWebToken
{
    public required JsonObject Header { get; init; }
    public required JsonObject Claims { get; init; }
    private byte[] SigningInput { get; init; } = [];
    private byte[] Signature { get; init; } = [];

    public static string Sign(JsonObject header, JsonObject claims, RSA key)
    {
        var input = Base64Url.EncodeToString(KubeJson.ToBytes(header)) + "." + Base64Url.EncodeToString(KubeJson.ToBytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Splits and decodes a token without checking its signature; null when it is not a JWS at all.</summary>
    public static JsonWebToken? TryParse(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) as JsonObject;
            var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) as JsonObject;
            if (header == null || claims == null) return null;
            return new JsonWebToken
            {
                Header = header,
                Claims = claims,
                SigningInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]),
                Signature = Base64Url.DecodeFromChars(parts[2]),
            };
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>True when the header names RS256 and the signature verifies with <paramref name="key"/>.</summary>
    public bool Verify(RSA key) =>
        Header["alg"] is JsonValue alg && alg.TryGetValue<string>(out var name) && name == ServiceAccountSigningKey.Algorithm &&
        key.VerifyData(SigningInput, Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}
