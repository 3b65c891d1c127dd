using System.Diagnostics;

namespace Anvil.E2E.Harness;

/// <summary>
/// An <c>anvil up</c> (no node) whose tool homes and users' homes are temporary directories, world-traversable
/// like /data/project and /home so that a tool's uid can reach its own home.
/// </summary>
public sealed class ToolforgeServer : AnvilServer, IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("anvil-e2e-toolforge-").FullName;

    public string Homes => Path.Combine(Root, "project");

    public string UsersHome => Path.Combine(Root, "home");

    public ToolforgeServer()
    {
        Directory.CreateDirectory(Homes);
        Directory.CreateDirectory(UsersHome);
        foreach (var d in new[] { Root, Homes, UsersHome }) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
    }

    protected override IEnumerable<string> ExtraArgs => ["--homes", Homes, "--users-home", UsersHome];

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs this build's <c>anvil</c> against the server's data dir (its admin kubeconfig).</summary>
    public async Task<KubectlResult> AnvilAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "anvil.dll"));
        var rest = args.ToList();
        // Connection flags go right after the subcommand words (become: before the tool name).
        var at = args[0] == "become" ? 1 : args[0] == "admin" ? Math.Min(3, args.Length) : args.Length;
        rest.InsertRange(at, ["--data-dir", DataDir]);
        foreach (var a in rest) psi.ArgumentList.Add(a);
        psi.Environment.Remove("KUBECONFIG");
        psi.Environment.Remove("SUDO_USER");
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return await RunAsync(psi, "anvil " + string.Join(' ', rest)).ConfigureAwait(false);
    }

    public Task<KubectlResult> AnvilAsync(params string[] args) => AnvilAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs a process to its end (bounded at 90 s, then killed) and captures its output.</summary>
    public static async Task<KubectlResult> RunAsync(ProcessStartInfo psi, string commandLine)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var timedOut = false;
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().ConfigureAwait(false);
        }
        return new KubectlResult(commandLine, timedOut ? -1 : p.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), timedOut);
    }
}
