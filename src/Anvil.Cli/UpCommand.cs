using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Anvil.ApiServer;
using Anvil.Client;
using Anvil.Controllers;
using Microsoft.Extensions.Logging;

namespace Anvil.Cli;

/// <summary><c>anvil up</c>: runs every component in this process until SIGTERM or SIGINT.</summary>
internal static class UpCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || geteuid() == 0
            ? "/var/lib/anvil"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "anvil");
        var port = 6443;
        var bind = "127.0.0.1";
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, value) = SplitFlag(args, ref i);
            switch (flag)
            {
                case "--data-dir":
                    dataDir = Path.GetFullPath(value ?? "");
                    break;
                case "--port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                        return Program.Fail($"invalid --port \"{value}\": must be 1-65535");
                    break;
                case "--bind":
                    if (!IPAddress.TryParse(value, out _)) return Program.Fail($"invalid --bind \"{value}\": must be an IP address");
                    bind = value!;
                    break;
                default:
                    return Program.Fail($"unknown flag \"{flag}\" for \"anvil up\"");
            }
        }
        if (string.IsNullOrEmpty(dataDir)) return Program.Fail("--data-dir needs a value");

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        await using var server = new ApiServerHost(new ApiServerOptions { DataDir = dataDir, Port = port, Bind = bind });
        try
        {
            await server.StartAsync(stop.Token).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            return Program.Fail($"cannot listen on {bind}:{port}: {e.Message}");
        }
        // Controllers talk to the API over HTTPS like any client, under their own identity.
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Warning));
        var (cert, key) = server.Pki.IssueClientCertificate("system:kube-controller-manager", [], TimeSpan.FromDays(365));
        using var controllerClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, cert, key, "kube-controller-manager");
        var controllers = ControllerManager.RunAsync(controllerClient, logs, stop.Token);
        var (schedulerCert, schedulerKey) = server.Pki.IssueClientCertificate("system:kube-scheduler", [], TimeSpan.FromDays(365));
        using var schedulerClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, schedulerCert, schedulerKey, "kube-scheduler");
        var scheduler = new Anvil.Scheduler.Scheduler(schedulerClient, logs.CreateLogger("scheduler")).RunAsync(stop.Token);

        Console.Out.WriteLine($"anvil: ready at {server.ServerUrl} (kubeconfig {server.AdminKubeconfigPath})");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        Console.Out.WriteLine("anvil: shutting down");
        try
        {
            await Task.WhenAll(controllers, scheduler).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        return 0;
    }

    private static (string Flag, string? Value) SplitFlag(string[] args, ref int i)
    {
        var arg = args[i];
        var eq = arg.IndexOf('=');
        if (eq > 0) return (arg[..eq], arg[(eq + 1)..]);
        var value = i + 1 < args.Length ? args[++i] : null;
        return (arg, value);
    }

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
