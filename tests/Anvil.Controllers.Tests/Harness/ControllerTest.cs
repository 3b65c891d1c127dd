using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Controllers.Tests.Harness;

/// <summary>Base of controller tests: the class's API server, controllers started per test and stopped after it.</summary>
public abstract class ControllerTest(ApiServerFixture server) : IAsyncLifetime
{
    protected static readonly ResourceRef Jobs = new("batch", "v1", "jobs", true);
    protected static readonly ResourceRef CronJobs = new("batch", "v1", "cronjobs", true);
    protected static readonly ResourceRef Pods = new("", "v1", "pods", true);
    protected static readonly ResourceRef Events = new("", "v1", "events", true);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    protected ApiServerFixture Server { get; } = server;
    protected KubeClient Client => Server.Client;
    protected static Microsoft.Extensions.Logging.ILogger Log => NullLogger.Instance;

    protected void Run(Func<CancellationToken, Task> controller) => _running.Add(controller(_stop.Token));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _stop.Dispose();
    }

    protected static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;

    protected async Task<List<JsonObject>> ListAsync(ResourceRef r, string ns, string query = "") =>
        ((await Client.ListAsync(r, ns, query))["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    protected Task<List<JsonObject>> PodsAsync(string ns) => ListAsync(Pods, ns);

    protected Task<List<JsonObject>> PodsOfJobAsync(string ns, string job) =>
        ListAsync(Pods, ns, "labelSelector=" + Uri.EscapeDataString("batch.kubernetes.io/job-name=" + job));

    /// <summary>Events about an object, as "Type Reason: message".</summary>
    protected async Task<List<string>> EventsAsync(string ns, string name) =>
        (await ListAsync(Events, ns))
            .Where(e => (string?)e["involvedObject"]?["name"] == name)
            .Select(e => $"{e["type"]} {e["reason"]}: {e["message"]}").ToList();

    protected static string Condition(JsonObject obj, string type, string field = "status") =>
        (obj["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["type"] == type).Select(c => (string?)c[field] ?? "").FirstOrDefault() ?? "";

    protected static string Conditions(JsonObject obj) =>
        string.Join(",", (obj["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => $"{c["type"]}={c["status"]}"));

    protected Task<JsonObject> WaitForAsync(ResourceRef r, string ns, string name, string what, Func<JsonObject, bool> done) =>
        Eventually.GetAsync(what, async () =>
        {
            var obj = await Client.GetAsync(r, ns, name);
            return (done(obj), obj, obj.ToJsonString());
        });

    protected Task<List<JsonObject>> WaitForPodsAsync(string ns, string job, string what, Func<List<JsonObject>, bool> done) =>
        Eventually.GetAsync(what, async () =>
        {
            var pods = await PodsOfJobAsync(ns, job);
            return (done(pods), pods, string.Join("\n", pods.Select(p => $"{ObjectMeta.Name(p)} {p["status"]?["phase"]} deleting={ObjectMeta.IsDeleting(p)}")));
        });

    protected Task WaitGoneAsync(ResourceRef r, string ns, string name) =>
        Eventually.GetAsync($"{r.Resource}/{name} gone", async () =>
        {
            try
            {
                var obj = await Client.GetAsync(r, ns, name);
                return (false, 0, obj.ToJsonString());
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                return (true, 0, "");
            }
        });
}
