using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Authentication;

/// <summary>authentication.k8s.io/v1 UserInfo as JSON: username, uid, groups, extra (empty ones omitted, as Go's omitempty).</summary>
public static class UserInfoJson
{
    public static JsonObject For(UserInfo user)
    {
        var o = new JsonObject { ["username"] = user.Name };
        if (user.Uid.Length > 0) o["uid"] = user.Uid;
        if (user.Groups.Count > 0) o["groups"] = Strings(user.Groups);
        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (k, v) in user.Extra.OrderBy(p => p.Key, StringComparer.Ordinal)) extra[k] = Strings(v);
            o["extra"] = extra;
        }
        return o;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
