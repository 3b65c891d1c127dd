using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Toolforge.Accounts;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Cli;

/// <summary><c>anvil admin tools create|list|disable|enable|delete|observer</c>: Toolforge's tool accounts.</summary>
internal static class ToolsCommand
{
    /// <summary>Tool uids and gids are allocated upwards from here (lima-kilo's tools start at 50001).</summary>
    public const long FirstUid = 50000;

    public const string Usage = "admin tools needs a subcommand: create NAME [--maintainer USER]... [--uid N] [--gid N] | list | disable NAME | enable NAME | delete NAME [--purge-home] | observer NAME";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0) return Program.Fail(Usage);
        var sub = args[0];
        var (a, error) = AdminArgs.Parse(args[1..], "anvil admin tools " + sub,
            sub == "create" ? ["--maintainer", "--uid", "--gid"] : [], sub == "delete" ? ["--purge-home"] : []);
        if (error != null) return Program.Fail(error);
        var wantsName = sub is "create" or "disable" or "enable" or "delete" or "observer";
        if (sub != "list" && !wantsName) return Program.Fail($"unknown command \"{sub}\" for \"anvil admin tools\"\n{Usage}");
        if (wantsName && a.Positionals.Count != 1) return Program.Fail($"anvil admin tools {sub} needs exactly one tool name");
        if (!wantsName && a.Positionals.Count != 0) return Program.Fail("anvil admin tools list takes no arguments");
        var name = wantsName ? a.Positionals[0] : "";
        if (wantsName && ToolNames.Validate(name) is { } invalid) return Program.Fail(invalid);
        try
        {
            using var client = a.Connect();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            return sub switch
            {
                "create" => await CreateAsync(client, name, a, cts.Token).ConfigureAwait(false),
                "list" => await ListAsync(client, cts.Token).ConfigureAwait(false),
                "disable" => await SetDisabledAsync(client, name, true, cts.Token).ConfigureAwait(false),
                "enable" => await SetDisabledAsync(client, name, false, cts.Token).ConfigureAwait(false),
                "delete" => await DeleteAsync(client, name, a.Switches.Contains("--purge-home"), cts.Token).ConfigureAwait(false),
                _ => await ObserverAsync(client, name, cts.Token).ConfigureAwait(false),
            };
        }
        catch (FormatException e)
        {
            return Program.Fail(e.Message);
        }
        catch (ApiException e) when (e.IsNotFound && wantsName && sub != "create")
        {
            return Program.Fail($"tool \"{name}\" not found");
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException)
        {
            return Program.Fail(e.Message);
        }
    }

    private static async Task<int> CreateAsync(KubeClient client, string name, AdminArgs a, CancellationToken ct)
    {
        foreach (var m in a.All("--maintainer"))
            if (ToolNames.Validate(m) is { } bad) return Program.Fail("--maintainer: " + bad);
        long? uid = null, gid = null;
        if (a.Flag("--uid") is { } u)
        {
            if (!long.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1000 || v > int.MaxValue) return Program.Fail($"invalid --uid \"{u}\": must be a number from 1000");
            uid = v;
        }
        if (a.Flag("--gid") is { } g)
        {
            if (!long.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < 1000 || v > int.MaxValue) return Program.Fail($"invalid --gid \"{g}\": must be a number from 1000");
            gid = v;
        }
        var tools = Items(await client.ListAsync(ToolforgeResources.Tools, ct: ct).ConfigureAwait(false));
        if (tools.Any(t => ObjectMeta.Name(t) == name)) return Program.Fail($"tool \"{name}\" already exists");
        var used = tools.Select(t => Int(t["spec"]?["uid"]) ?? 0).ToHashSet();
        if (uid is { } given && used.Contains(given))
            return Program.Fail($"uid {given} is already used by tool \"{ObjectMeta.Name(tools.First(t => Int(t["spec"]?["uid"]) == given))}\"");
        uid ??= Math.Max(FirstUid, used.Where(x => x >= FirstUid).DefaultIfEmpty(FirstUid - 1).Max() + 1);
        gid ??= uid;
        var tool = new JsonObject
        {
            ["apiVersion"] = $"{ToolforgeCrds.Group}/{ToolforgeCrds.Version}",
            ["kind"] = "Tool",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["uid"] = uid,
                ["gid"] = gid,
                ["maintainers"] = new JsonArray(a.All("--maintainer").Distinct().Select(m => (JsonNode?)m).ToArray()),
                ["disabled"] = false,
            },
        };
        try
        {
            await client.CreateAsync(ToolforgeResources.Tools, "", tool, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            return Program.Fail($"tool \"{name}\" already exists");
        }
        Console.Out.WriteLine($"tool \"{name}\" created (uid {uid}, gid {gid}, namespace {ToolNames.Namespace(name)})");
        return 0;
    }

    private static async Task<int> ListAsync(KubeClient client, CancellationToken ct)
    {
        var tools = Items(await client.ListAsync(ToolforgeResources.Tools, ct: ct).ConfigureAwait(false)).OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
        if (tools.Count == 0)
        {
            Console.Error.WriteLine("No tools found.");
            return 0;
        }
        Console.Out.Write(TextTable.Format(["NAME", "UID", "GID", "STATUS", "MAINTAINERS", "CREDENTIALS EXPIRE"], tools.Select(t => new[]
        {
            ObjectMeta.Name(t),
            (Int(t["spec"]?["uid"]) ?? 0).ToString(CultureInfo.InvariantCulture),
            (Int(t["spec"]?["gid"]) ?? 0).ToString(CultureInfo.InvariantCulture),
            Status(t),
            string.Join(",", (Arr(t["spec"]?["maintainers"]) ?? []).Select(m => Str(m))) is { Length: > 0 } ms ? ms : "<none>",
            Str(t["status"]?["credentialsExpire"]) ?? "<none>",
        })));
        return 0;
    }

    private static string Status(JsonObject t)
    {
        if (ObjectMeta.IsDeleting(t)) return "Terminating";
        var ready = (Arr(t["status"]?["conditions"]) ?? []).OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");
        if (ready == null) return "Pending";
        return Str(ready["status"]) == "True" ? "Ready" : Str(ready["reason"]) ?? "NotReady";
    }

    private static async Task<int> SetDisabledAsync(KubeClient client, string name, bool disabled, CancellationToken ct)
    {
        await client.PatchAsync(ToolforgeResources.Tools, "", name, new JsonObject { ["spec"] = new JsonObject { ["disabled"] = disabled } }, ct: ct).ConfigureAwait(false);
        if (disabled) await RevokeAsync(client, name, ct).ConfigureAwait(false);
        Console.Out.WriteLine(disabled
            ? $"tool \"{name}\" disabled: its access is revoked and its workloads are stopped (objects are kept; pods without a controller are deleted)"
            : $"tool \"{name}\" enabled: its access and workloads are restored");
        return 0;
    }

    /// <summary>
    /// Revokes at once rather than when the controller gets to it: deletes the tools-user RoleBinding and waits
    /// (≤ 10 s) until the authorizer denies the tool, so that when disable returns the tool's still valid
    /// certificate is refused. The controller keeps the binding away while the tool is disabled.
    /// </summary>
    private static async Task RevokeAsync(KubeClient client, string name, CancellationToken ct)
    {
        var ns = ToolNames.Namespace(name);
        try
        {
            await client.DeleteAsync(ToolforgeResources.RoleBindings, ns, name + "-tool-binding", ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
        var review = new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = new JsonObject
            {
                ["user"] = name,
                ["groups"] = new JsonArray("toolforge", "system:authenticated"),
                ["resourceAttributes"] = new JsonObject { ["namespace"] = ns, ["verb"] = "list", ["resource"] = "pods" },
            },
        };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var answer = await client.CreateAsync(SubjectAccessReviews, "", (JsonObject)review.DeepClone(), ct).ConfigureAwait(false);
            if (Bool(answer["status"]?["allowed"]) != true) return;
            if (DateTime.UtcNow > deadline) throw new OperationCanceledException($"tool \"{name}\" is disabled but still allowed to list pods in {ns} after 10 s");
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static readonly ResourceRef SubjectAccessReviews = new("authorization.k8s.io", "v1", "subjectaccessreviews", false);

    private static async Task<int> DeleteAsync(KubeClient client, string name, bool purgeHome, CancellationToken ct)
    {
        if (purgeHome)
        {
            await client.PatchAsync(ToolforgeResources.Tools, "", name, new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [ToolAccountLabels.PurgeHome] = "true" } },
            }, ct: ct).ConfigureAwait(false);
        }
        await client.DeleteAsync(ToolforgeResources.Tools, "", name, ct: ct).ConfigureAwait(false);
        Console.Out.WriteLine($"tool \"{name}\" deleted (namespace {ToolNames.Namespace(name)} is being removed; home {(purgeHome ? "purged" : "kept")})");
        return 0;
    }

    /// <summary>wmcs-k8s-enable-cluster-monitor: ServiceAccount &lt;tool&gt;-obs bound to tool-observer cluster-wide.</summary>
    private static async Task<int> ObserverAsync(KubeClient client, string name, CancellationToken ct)
    {
        await client.GetAsync(ToolforgeResources.Tools, "", name, ct).ConfigureAwait(false);
        var ns = ToolNames.Namespace(name);
        var sa = name + "-obs";
        var labels = new JsonObject { [ToolAccountLabels.ObserverLabel] = ToolforgeRoles.ToolObserver };
        await CreateIfMissingAsync(client, ToolforgeResources.ServiceAccounts, ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = sa, ["labels"] = labels.DeepClone() },
        }, ct).ConfigureAwait(false);
        await CreateIfMissingAsync(client, ToolforgeResources.ClusterRoleBindings, "", new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = sa, ["labels"] = labels.DeepClone() },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = ToolforgeRoles.ToolObserver },
            ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = sa, ["namespace"] = ns }),
        }, ct).ConfigureAwait(false);
        Console.Out.WriteLine($"tool \"{name}\" has observer access: ServiceAccount {ns}/{sa} is bound to ClusterRole {ToolforgeRoles.ToolObserver}");
        Console.Out.WriteLine($"get a token with: kubectl create token {sa} -n {ns}");
        return 0;
    }

    private static async Task CreateIfMissingAsync(KubeClient client, ResourceRef r, string ns, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await client.CreateAsync(r, ns, obj, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
        }
    }

    internal static List<JsonObject> Items(JsonObject list) => (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
}
