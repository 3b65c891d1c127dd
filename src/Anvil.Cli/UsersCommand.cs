using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Toolforge.Accounts;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Cli;

/// <summary><c>anvil admin users add NAME [--admin] [--uid N] | list | remove NAME</c>: human users (LDAP people in Toolforge).</summary>
internal static class UsersCommand
{
    /// <summary>Users without a unix account here get uids from this range.</summary>
    public const long FirstUid = 20000;

    public const string Usage = "admin users needs a subcommand: add NAME [--admin] [--uid N] | list | remove NAME";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0) return Program.Fail(Usage);
        var sub = args[0];
        if (sub is not ("add" or "list" or "remove")) return Program.Fail($"unknown command \"{sub}\" for \"anvil admin users\"\n{Usage}");
        var (a, error) = AdminArgs.Parse(args[1..], "anvil admin users " + sub, sub == "add" ? ["--uid"] : [], sub == "add" ? ["--admin"] : []);
        if (error != null) return Program.Fail(error);
        if (sub != "list" && a.Positionals.Count != 1) return Program.Fail($"anvil admin users {sub} needs exactly one user name");
        if (sub == "list" && a.Positionals.Count != 0) return Program.Fail("anvil admin users list takes no arguments");
        var name = sub == "list" ? "" : a.Positionals[0];
        if (sub != "list" && ToolNames.Validate(name) is { } invalid) return Program.Fail(invalid);
        try
        {
            using var client = a.Connect();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            switch (sub)
            {
                case "add":
                    return await AddAsync(client, name, a, cts.Token).ConfigureAwait(false);
                case "remove":
                    await client.DeleteAsync(ToolforgeResources.Users, "", name, ct: cts.Token).ConfigureAwait(false);
                    Console.Out.WriteLine($"user \"{name}\" removed");
                    return 0;
                default:
                    var users = ToolsCommand.Items(await client.ListAsync(ToolforgeResources.Users, ct: cts.Token).ConfigureAwait(false)).OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
                    if (users.Count == 0)
                    {
                        Console.Error.WriteLine("No users found.");
                        return 0;
                    }
                    Console.Out.Write(TextTable.Format(["NAME", "UID", "ADMIN", "KUBECONFIG"], users.Select(u => new[]
                    {
                        ObjectMeta.Name(u),
                        (Int(u["spec"]?["uid"]) ?? 0).ToString(CultureInfo.InvariantCulture),
                        Bool(u["spec"]?["admin"]) == true ? "true" : "false",
                        Str(u["status"]?["kubeconfig"]) ?? "<pending>",
                    })));
                    return 0;
            }
        }
        catch (FormatException e)
        {
            return Program.Fail(e.Message);
        }
        catch (ApiException e) when (e.IsNotFound && sub == "remove")
        {
            return Program.Fail($"user \"{name}\" not found");
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException)
        {
            return Program.Fail(e.Message);
        }
    }

    private static async Task<int> AddAsync(KubeClient client, string name, AdminArgs a, CancellationToken ct)
    {
        var admin = a.Switches.Contains("--admin");
        var users = ToolsCommand.Items(await client.ListAsync(ToolforgeResources.Users, ct: ct).ConfigureAwait(false));
        if (users.FirstOrDefault(u => ObjectMeta.Name(u) == name) is { } existing)
        {
            await client.PatchAsync(ToolforgeResources.Users, "", name, new JsonObject { ["spec"] = new JsonObject { ["admin"] = admin } }, ct: ct).ConfigureAwait(false);
            Console.Out.WriteLine($"user \"{name}\" updated (admin: {(admin ? "true" : "false")})");
            return 0;
        }
        long uid;
        if (a.Flag("--uid") is { } u)
        {
            if (!long.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out uid) || uid > int.MaxValue) return Program.Fail($"invalid --uid \"{u}\"");
        }
        else if (UnixUid(name) is { } known)
        {
            uid = known;
        }
        else
        {
            uid = Math.Max(FirstUid, users.Select(x => Int(x["spec"]?["uid"]) ?? 0).Where(x => x >= FirstUid && x < ToolsCommand.FirstUid).DefaultIfEmpty(FirstUid - 1).Max() + 1);
        }
        var user = new JsonObject
        {
            ["apiVersion"] = $"{ToolforgeCrds.Group}/{ToolforgeCrds.Version}",
            ["kind"] = "User",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["uid"] = uid, ["admin"] = admin },
        };
        await client.CreateAsync(ToolforgeResources.Users, "", user, ct).ConfigureAwait(false);
        Console.Out.WriteLine($"user \"{name}\" added (uid {uid}{(admin ? ", admin" : "")})");
        return 0;
    }

    /// <summary>The uid of a unix account of that name in /etc/passwd.</summary>
    internal static long? UnixUid(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 2 && f[0] == name && long.TryParse(f[2], CultureInfo.InvariantCulture, out var uid)) return uid;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
