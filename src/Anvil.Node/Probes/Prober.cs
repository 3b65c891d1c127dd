using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Probes;

/// <summary>
/// The kubelet's probers: exec through the runtime (runc exec), httpGet (success 200–399, no certificate
/// verification, User-Agent kube-probe/1.32, redirects not followed: a 3xx is a success), tcpSocket (a connect).
/// Failures carry the kubelet's wording, which mirrors Go's errors ("dial tcp 10.0.0.1:80: connect: connection refused").
/// </summary>
public sealed class Prober(IRuntimeService runtime) : IProber
{
    public const string UserAgent = "kube-probe/1.32";
    /// <summary>The kubelet reads at most 10 KiB of a probe's output or body.</summary>
    private const int MaxOutput = 10 * 1024;

    private static readonly HttpClient s_http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public Task<ProbeOutcome> ProbeAsync(ProbeSpec spec, ProbeTarget target, CancellationToken ct)
    {
        var h = spec.Handler;
        if (h["exec"] is JsonObject exec) return ExecAsync(exec, spec.Timeout, target, ct);
        if (h["httpGet"] is JsonObject http) return HttpAsync(http, spec.Timeout, target, ct);
        if (h["tcpSocket"] is JsonObject tcp) return TcpAsync(tcp, spec.Timeout, target, ct);
        if (h["grpc"] is JsonObject) return Task.FromResult(ProbeOutcome.Error("grpc probes are not supported by this node"));
        return Task.FromResult(ProbeOutcome.Error("missing probe handler"));
    }

    private async Task<ProbeOutcome> ExecAsync(JsonObject exec, TimeSpan timeout, ProbeTarget target, CancellationToken ct)
    {
        var command = (exec["command"] as JsonArray ?? []).Select(n => (string?)n ?? "").ToList();
        if (command.Count == 0) return ProbeOutcome.Error("exec probe without a command");
        var r = await runtime.ExecSyncAsync(target.ContainerId, command, timeout, ct).ConfigureAwait(false);
        if (r.TimedOut) return ProbeOutcome.Failure($"command \"{string.Join(' ', command)}\" timed out");
        var output = r.Stdout + r.Stderr;
        if (output.Length > MaxOutput) output = output[..MaxOutput];
        return r.ExitCode == 0 ? ProbeOutcome.Success(output) : ProbeOutcome.Failure(output);
    }

    /// <summary>probe.ResolveContainerPort: a number, or the name of one of the container's ports.</summary>
    public static int? ResolvePort(JsonNode? port, JsonObject container, out string error)
    {
        error = "";
        int number;
        if (port is JsonValue v && v.TryGetValue<int>(out var n)) number = n;
        else if (port is JsonValue s && s.TryGetValue<string>(out var name))
        {
            var match = (container["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => (string?)p["name"] == name);
            if (match?["containerPort"] is not JsonValue cp || !cp.TryGetValue<int>(out number))
            {
                error = $"couldn't find port: {name} in container {(string?)container["name"]}";
                return null;
            }
        }
        else
        {
            error = "missing port";
            return null;
        }
        if (number is <= 0 or >= 65536)
        {
            error = $"invalid port number: {number}";
            return null;
        }
        return number;
    }

    private static string HostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    private static string DialError(string host, int port, SocketException e) => $"dial tcp {HostPort(host, port)}: " + e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connect: connection refused",
        SocketError.HostUnreachable => "connect: no route to host",
        SocketError.NetworkUnreachable => "connect: network is unreachable",
        SocketError.TimedOut => "i/o timeout",
        _ => "connect: " + e.Message.ToLowerInvariant(),
    };

    private static async Task<ProbeOutcome> HttpAsync(JsonObject http, TimeSpan timeout, ProbeTarget target, CancellationToken ct)
    {
        if (ResolvePort(http["port"], target.Container, out var error) is not { } port) return ProbeOutcome.Error(error);
        var host = (string?)http["host"] is { Length: > 0 } h ? h : target.PodIP;
        var scheme = ((string?)http["scheme"] ?? "HTTP").ToLowerInvariant();
        var path = (string?)http["path"] ?? "";
        if (path.Length > 0 && !path.StartsWith('/')) path = "/" + path;
        var url = $"{scheme}://{HostPort(host, port)}{path}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.ConnectionClose = true;
        var hasUserAgent = false;
        var hasAccept = false;
        foreach (var header in (http["httpHeaders"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = (string?)header["name"] ?? "";
            var value = (string?)header["value"] ?? "";
            if (name.Length == 0) continue;
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) { request.Headers.Host = value; continue; }
            hasUserAgent |= name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase);
            hasAccept |= name.Equals("Accept", StringComparison.OrdinalIgnoreCase);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        if (!hasUserAgent) request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (!hasAccept) request.Headers.TryAddWithoutValidation("Accept", "*/*");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var body = await ReadBodyAsync(response, deadline.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 400 ? ProbeOutcome.Success(body) : ProbeOutcome.Failure($"HTTP probe failed with statuscode: {code}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ProbeOutcome.Failure($"Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException se)
        {
            return ProbeOutcome.Failure($"Get \"{url}\": {DialError(host, port, se)}");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Failure($"Get \"{url}\": {e.Message}");
        }
    }

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var s = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxOutput];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await s.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += n;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static async Task<ProbeOutcome> TcpAsync(JsonObject tcp, TimeSpan timeout, ProbeTarget target, CancellationToken ct)
    {
        if (ResolvePort(tcp["port"], target.Container, out var error) is not { } port) return ProbeOutcome.Error(error);
        var host = (string?)tcp["host"] is { Length: > 0 } h ? h : target.PodIP;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient(IPAddress.TryParse(host, out var ip) ? ip.AddressFamily : AddressFamily.InterNetwork);
            if (ip != null) await client.ConnectAsync(ip, port, deadline.Token).ConfigureAwait(false);
            else await client.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            return ProbeOutcome.Success();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ProbeOutcome.Failure($"dial tcp {HostPort(host, port)}: i/o timeout");
        }
        catch (SocketException e)
        {
            return ProbeOutcome.Failure(DialError(host, port, e));
        }
    }
}
