using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Anvil.Machinery.Tls;
using Anvil.Node.Exec;
using Anvil.Node.Pods;
using Anvil.Node.Runtime;
using Anvil.Node.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Server;

/// <summary>
/// The kubelet's HTTPS API (port 10250) as far as the API server needs it: <c>/exec</c> and <c>/attach</c> as
/// WebSocket endpoints speaking the channel protocol, <c>/containerLogs</c>, <c>/stats/summary</c>,
/// <c>/portForward</c> (SPDY/3.1) and <c>/healthz</c>. TLS requires a client certificate
/// from the cluster CA; requests are then allowed only for the API server's kubelet client identity.
/// </summary>
public sealed partial class KubeletServer : IAsyncDisposable
{
    /// <summary>The CN of the API server's client certificate for kubelets (kubeadm's apiserver-kubelet-client).</summary>
    public const string ApiServerClientName = "kube-apiserver-kubelet-client";

    private readonly NodeAgent _agent;
    private readonly KubeletServerOptions _options;
    private readonly ILogger _log;
    private readonly StatsCollector? _stats;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    /// <param name="stats">The node's stats for <c>/stats/summary</c> (404 without).</param>
    public KubeletServer(NodeAgent agent, KubeletServerOptions options, ILogger log, StatsCollector? stats = null)
    {
        _agent = agent;
        _stats = stats;
        _options = options;
        _log = log;
    }

    /// <summary>The port listened on (the configured one, or the one picked for 0), once started.</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken ct)
    {
        // As the API server's: no appsettings reload. Its watcher covered the working directory recursively (a data dir
        // under it too) and woke on every container's files, adding a watch for each new directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(_options.Bind), _options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = _options.ServingCertificate,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (cert, _, _) => ClusterTrust.ChainsTo(cert, _options.ClientCa),
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                });
            });
        });
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        _app.Run(ServeAsync);
        await _app.StartAsync(ct).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Port = address != null && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Port : _options.Port;
    }

    private async Task ServeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var user = ctx.Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, false) ?? "";
        var parts = path.Trim('/').Split('/');
        var verb = HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method) ? "get" : "create";
        if (!_options.AllowedUsers.Contains(user))
        {
            // The kubelet's answer when its authorizer (a SubjectAccessReview for nodes/proxy) says no.
            await TextAsync(ctx, 403, $"Forbidden (user={user}, verb={verb}, resource=nodes, subresource(s)=[proxy])\n").ConfigureAwait(false);
            return;
        }
        if (path == "/healthz")
        {
            await TextAsync(ctx, 200, "ok").ConfigureAwait(false);
            return;
        }
        // /exec/{namespace}/{pod}/{container} or /exec/{namespace}/{pod}/{uid}/{container}
        if (parts[0] is "exec" or "attach" && parts.Length is 4 or 5)
        {
            await StreamAsync(ctx, parts[0] == "attach", parts[1], parts[2], parts.Length == 5 ? parts[3] : null, parts[^1]).ConfigureAwait(false);
            return;
        }
        // /containerLogs/{namespace}/{pod}/{container}
        if (parts[0] == "containerLogs" && parts.Length == 4)
        {
            await ContainerLogsAsync(ctx, parts[1], parts[2], parts[3]).ConfigureAwait(false);
            return;
        }
        if (path is "/stats/summary" or "/stats/summary/" && _stats != null)
        {
            await SummaryAsync(ctx, _stats).ConfigureAwait(false);
            return;
        }
        // /portForward/{namespace}/{pod} or /portForward/{namespace}/{pod}/{uid}
        if (parts[0] == "portForward" && parts.Length is 3 or 4)
        {
            await PortForwardAsync(ctx, parts[1], parts[2], parts.Length == 4 ? parts[3] : null).ConfigureAwait(false);
            return;
        }
        await TextAsync(ctx, 404, "404 page not found\n").ConfigureAwait(false);
    }

    /// <summary>The token of a request: cancelled when the client goes or the server stops.</summary>
    private CancellationToken RequestToken(HttpContext ctx) => CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token).Token;

    private async Task StreamAsync(HttpContext ctx, bool attach, string ns, string pod, string? uid, string container)
    {
        var ct = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token).Token;
        var q = ctx.Request.Query;
        static bool Flag(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is "1" or "true";
        var stdin = Flag(q["input"]) || Flag(q["stdin"]);
        var stdout = Flag(q["output"]) || Flag(q["stdout"]);
        var stderr = Flag(q["error"]) || Flag(q["stderr"]);
        var tty = Flag(q["tty"]);
        if (tty) stderr = false; // a terminal has one output stream
        if (!stdin && !stdout && !stderr)
        {
            await TextAsync(ctx, 400, "you must specify at least 1 of stdin, stdout, stderr").ConfigureAwait(false);
            return;
        }
        var command = q["command"].Where(c => c != null).Select(c => c!).ToList();
        if (!attach && command.Count == 0)
        {
            await TextAsync(ctx, 400, "you must specify at least one command for the container").ConfigureAwait(false);
            return;
        }

        var all = (await _agent.Runtime.ListContainersAsync(null, ct).ConfigureAwait(false))
            .Where(c => c.PodNamespace == ns && c.PodName == pod && (uid == null || c.PodUid == uid)).ToList();
        if (all.Count == 0)
        {
            await TextAsync(ctx, 404, "pod does not exist").ConfigureAwait(false);
            return;
        }
        var target = all.Where(c => c.Name == container && c.State == ContainerState.Running).OrderByDescending(c => c.Attempt).FirstOrDefault();
        if (target == null)
        {
            await TextAsync(ctx, 500, $"container not found (\"{container}\")").ConfigureAwait(false);
            return;
        }
        // As the kubelet does: an attach has a terminal exactly when the container was made with one.
        if (attach)
        {
            tty = (await _agent.Runtime.ContainerStdioAsync(target.Id, ct).ConfigureAwait(false)).Tty;
            stderr = !tty && (Flag(q["error"]) || Flag(q["stderr"]));
        }
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await TextAsync(ctx, 400, "Upgrade request required").ConfigureAwait(false);
            return;
        }
        var protocol = RemoteCommand.Negotiate(ctx.WebSockets.WebSocketRequestedProtocols);
        if (protocol == null)
        {
            await TextAsync(ctx, 400, $"unable to upgrade: unable to negotiate protocol: client supports {string.Join(", ", ctx.WebSockets.WebSocketRequestedProtocols)}, server supports {string.Join(", ", RemoteCommand.Protocols)}").ConfigureAwait(false);
            return;
        }

        var options = new ExecOptions(command, stdin, stdout, stderr, tty);
        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol }).ConfigureAwait(false);
        if (attach)
        {
            _log.LogInformation("attach pod={Namespace}/{Pod} container={Container} tty={Tty} stdin={Stdin} protocol={Protocol}", ns, pod, container, tty, stdin, protocol);
            // The kubelet reports success when an attach ends: the container's exit code is in the pod's status.
            await StreamSession.RunAsync(ws, protocol, options, (o, c) => _agent.Runtime.AttachAsync(target.Id, o, c),
                _ => RemoteCommand.SuccessStatus(), _log, ct, attach: true).ConfigureAwait(false);
            return;
        }
        _log.LogInformation("exec pod={Namespace}/{Pod} container={Container} tty={Tty} protocol={Protocol}", ns, pod, container, tty, protocol);
        await StreamSession.RunAsync(ws, protocol, options, (o, c) => _agent.Runtime.ExecAsync(target.Id, o, c),
            code => code == 0 ? RemoteCommand.SuccessStatus() : RemoteCommand.ExitCodeStatus(command, code), _log, ct).ConfigureAwait(false);
    }

    private static Task TextAsync(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        if (_app != null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _app.StopAsync(cts.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }
}
