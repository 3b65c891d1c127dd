using System.Diagnostics;
using Anvil.ApiServer.Endpoints;
using Anvil.Machinery.Instrumentation;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Instrumentation;

/// <summary>
/// What kube-apiserver's <c>/metrics</c> says about requests, with its names and labels: requests by verb, resource and
/// code (<c>apiserver_request_total</c>), their latency (<c>apiserver_request_duration_seconds</c>, kube-apiserver's
/// buckets), the requests being served (<c>apiserver_current_inflight_requests</c>) and the open watches and streams
/// (<c>apiserver_longrunning_requests</c>); then the process, the runtime and whatever else registers (the store).
/// </summary>
public sealed class ApiServerMetrics
{
    private readonly MetricFamily<(RequestSeries Series, int Code), Counter> _requests;
    private readonly MetricFamily<RequestSeries, Histogram> _durations;
    private readonly MetricFamily<RequestSeries, Gauge> _longRunning;
    private readonly MetricFamily<string, Gauge> _inflight;

    public ApiServerMetrics(string gitVersion)
    {
        _requests = Registry.Register(new MetricFamily<(RequestSeries Series, int Code), Counter>("apiserver_request_total",
            "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
            [.. RequestSeries.LabelNames, "code"], k => [.. k.Series.LabelValues(), k.Code.ToString(System.Globalization.CultureInfo.InvariantCulture)], () => new Counter()));
        _durations = Registry.Register(new MetricFamily<RequestSeries, Histogram>("apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
            RequestSeries.LabelNames, s => s.LabelValues(), () => new Histogram(Histogram.RequestDurationBounds)));
        _longRunning = Registry.Register(new MetricFamily<RequestSeries, Gauge>("apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.",
            RequestSeries.LabelNames, s => s.LabelValues(), () => new Gauge()));
        _inflight = Registry.Register(new MetricFamily<string, Gauge>("apiserver_current_inflight_requests",
            "Requests being served now, per request kind, watches and other long-running requests not counted (kube-apiserver reports the highest count of the last second).",
            ["request_kind"], k => [k], () => new Gauge()));
        // Both kinds show from the start, as upstream's.
        _ = _inflight["readOnly"];
        _ = _inflight["mutating"];
        Registry.Register(new CallbackFamily("kubernetes_build_info",
            "A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.",
            "gauge", ["major", "minor", "git_version", "git_commit", "git_tree_state", "build_date", "go_version", "compiler", "platform"],
            () => [(["1", "32", gitVersion, "anvil", "clean", "2026-11-21T00:00:00Z", "go1.23.8", "gc", "linux/amd64"], 1.0)]));
        RuntimeMetrics.Register(Registry);
    }

    public MetricsRegistry Registry { get; } = new();

    /// <summary>Whether a resource request names a served resource and subresource (all do until set).</summary>
    public Func<RequestInfo, bool> IsServed { get; set; } = _ => true;

    /// <summary>Runs <paramref name="next"/> (the whole request, error answers included) and records it once it ends.</summary>
    public async Task ServeAsync(HttpContext ctx, RequestInfo info, bool longRunning, Func<Task> next)
    {
        var series = RequestSeries.Of(ctx.Request, info, !info.IsResourceRequest || IsServed(info));
        var started = Stopwatch.GetTimestamp();
        var gauge = longRunning ? _longRunning[series] : _inflight[info.Verb is "get" or "list" or "watch" || !info.IsResourceRequest ? "readOnly" : "mutating"];
        gauge.Inc();
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            gauge.Dec();
            _requests[(series, ctx.Response.StatusCode)].Inc();
            _durations[series].Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
