using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// Audits every request (k8s.io/apiserver's WithAudit filter): gives it an audit ID (the <c>Audit-ID</c>
/// request header when the client sent one, else a new UUID; answered in the <c>Audit-Id</c> header),
/// evaluates the policy once the user is known, and queues the events on the <see cref="AuditBackend"/>.
/// </summary>
public sealed class AuditRecorder : IAsyncDisposable
{
    public AuditRecorder(AuditPolicy policy, AuditBackend backend, TimeProvider? time = null)
    {
        Policy = policy;
        Backend = backend;
        Time = time ?? TimeProvider.System;
    }

    public AuditPolicy Policy { get; }

    public AuditBackend Backend { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// The recorder <c>anvil up</c> uses: the policy file (or <see cref="AuditPolicy.Default"/>) and a log at
    /// <see cref="ApiServerOptions.AuditLogPath"/> (default <c>&lt;data-dir&gt;/audit.log</c>, <c>-</c> for stdout).
    /// </summary>
    public static AuditRecorder FromOptions(ApiServerOptions options, ILogger? log = null)
    {
        var policy = options.AuditPolicyFile is { Length: > 0 } file ? AuditPolicy.Load(file) : AuditPolicy.Default;
        var path = options.AuditLogPath ?? Path.Combine(options.DataDir, "audit.log");
        IAuditLogWriter writer = path == "-"
            ? new StreamAuditLogWriter(Console.OpenStandardOutput())
            : new AuditLogFile(path, options.AuditLogMaxSizeMB * 1024L * 1024L, options.AuditLogMaxBackups, options.AuditLogMaxAgeDays);
        return new AuditRecorder(policy, new AuditBackend(writer, log));
    }

    /// <summary>Runs <paramref name="next"/> (the whole request, error answers included) and writes its events.</summary>
    public async Task ServeAsync(HttpContext ctx, Func<Task> next)
    {
        var received = Time.GetUtcNow();
        var id = ctx.Request.Headers["Audit-ID"].ToString();
        if (id.Length == 0) id = Guid.NewGuid().ToString();
        ctx.Response.Headers["Audit-Id"] = id;

        var path = ctx.Request.Path.Value ?? "/";
        var info = RequestInfo.Parse(ctx.Request.Method, path, ctx.Request.Query["watch"] is { Count: > 0 } w && (w.ToString() is "true" or "1"));
        var audit = new AuditContext(this, ctx, id, received, info) { LongRunning = IsLongRunning(info) };
        ctx.Features.Set(audit);

        var original = ctx.Response.Body;
        var capture = new ResponseCapture(original, ctx.Response, audit.WantsResponseBody);
        audit.Capture = capture;
        ctx.Response.Body = capture;
        if (audit.LongRunning)
        {
            ctx.Response.OnStarting(() =>
            {
                audit.ResponseStarted();
                return Task.CompletedTask;
            });
        }
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            ctx.Response.Body = original;
            audit.ResponseComplete();
        }
    }

    /// <summary>Watches and streaming subresources, as kube-apiserver's default long-running check.</summary>
    internal static bool IsLongRunning(RequestInfo info) =>
        info.Verb is "watch" or "proxy" || info.Subresource is "log" or "exec" or "attach" or "portforward" or "proxy"
        || info.Subresource.StartsWith("proxy/", StringComparison.Ordinal);

    internal void Emit(byte[] auditEvent) => Backend.Enqueue(auditEvent);

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}
