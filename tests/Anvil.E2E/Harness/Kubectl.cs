using System.Diagnostics;
using System.Text;

namespace Anvil.E2E.Harness;

/// <summary>
/// Runs the machine's real kubectl against one server, with a private HOME and discovery cache
/// (kubectl caches discovery for 6 h, which would leak between servers), in a private working dir.
/// </summary>
public sealed class Kubectl : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly AnvilServer _server;

    public Kubectl(AnvilServer server)
    {
        _server = server;
        WorkDir = Directory.CreateTempSubdirectory("anvil-e2e-kubectl-").FullName;
        Directory.CreateDirectory(Path.Combine(WorkDir, "home"));
    }

    /// <summary>Extra environment for the kubectl processes started after it is set (e.g. feature switches).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The working directory: files written by <see cref="WriteFile"/> are named relative to it.</summary>
    public string WorkDir { get; }

    public static string Executable => File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";

    public Task<KubectlResult> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public async Task<KubectlResult> RunAsync(string[] args, string? stdin, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var process = new Process { StartInfo = StartInfo(args) };
        process.StartInfo.RedirectStandardInput = true;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.Start();
        var outTask = PumpAsync(process.StandardOutput, stdout);
        var errTask = PumpAsync(process.StandardError, stderr);
        try
        {
            if (stdin is not null) await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // kubectl exited without reading its input; its output says why.
        }

        var timedOut = false;
        using (var cts = new CancellationTokenSource(limit))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        await Task.WhenAll(outTask, errTask).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        return new KubectlResult(CommandLine(args), timedOut ? -1 : process.ExitCode, stdout.ToString(), stderr.ToString(), timedOut);
    }

    /// <summary>Starts a long-running kubectl (e.g. <c>get -w</c>) whose output lines are read as they come.</summary>
    public KubectlStream Start(params string[] args)
    {
        var process = new Process { StartInfo = StartInfo(args) };
        return new KubectlStream(process, CommandLine(args));
    }

    /// <summary>Writes a file into the working dir and returns its relative name (as kubectl will print it).</summary>
    public string WriteFile(string name, string content)
    {
        File.WriteAllText(Path.Combine(WorkDir, name), content);
        return name;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(_server.KubeconfigPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Path.Combine(WorkDir, "home");
        psi.Environment["KUBECACHEDIR"] = Path.Combine(WorkDir, "cache");
        psi.Environment.Remove("KUBECONFIG");
        // Plain, stable output: no colour, no interactive editor, English messages.
        psi.Environment["TERM"] = "dumb";
        psi.Environment["LANG"] = "C";
        psi.Environment["LC_ALL"] = "C";
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        return psi;
    }

    private static string CommandLine(string[] args) =>
        "kubectl " + string.Join(' ', args.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) || a.Contains('\'') || a.Contains('"') ? "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : a));

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (into) into.Append(buffer, 0, n);
        }
    }
}
