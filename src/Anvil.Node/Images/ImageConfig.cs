using System.Text.Json.Nodes;

namespace Anvil.Node.Images;

/// <summary>
/// The runtime part of an OCI image config (<c>config</c> of application/vnd.oci.image.config.v1+json):
/// environment, ENTRYPOINT, CMD, working directory and user.
/// </summary>
public sealed record ImageConfig(
    IReadOnlyList<string> Env,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    string WorkingDir = "",
    string User = "")
{
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static ImageConfig Empty { get; } = new([DefaultPath], [], []);

    /// <summary>Reads the <c>config</c> object of an OCI image config document (missing fields are empty).</summary>
    public static ImageConfig FromOci(JsonObject? document)
    {
        var c = document?["config"] as JsonObject;
        static List<string> Strings(JsonNode? n) => (n as JsonArray ?? []).Select(x => (string?)x ?? "").ToList();
        return new ImageConfig(Strings(c?["Env"]), Strings(c?["Entrypoint"]), Strings(c?["Cmd"]),
            (string?)c?["WorkingDir"] ?? "", (string?)c?["User"] ?? "");
    }

    /// <summary>An OCI image config document for this config.</summary>
    public JsonObject ToOci(DateTimeOffset created)
    {
        static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        var config = new JsonObject { ["Env"] = Array(Env) };
        if (Entrypoint.Count > 0) config["Entrypoint"] = Array(Entrypoint);
        if (Cmd.Count > 0) config["Cmd"] = Array(Cmd);
        if (WorkingDir.Length > 0) config["WorkingDir"] = WorkingDir;
        if (User.Length > 0) config["User"] = User;
        return new JsonObject
        {
            ["created"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = config,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        };
    }
}
