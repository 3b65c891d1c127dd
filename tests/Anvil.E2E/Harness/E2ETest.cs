using System.Text.Json.Nodes;

namespace Anvil.E2E.Harness;

/// <summary>
/// Base of every E2E test class: the class's server (a class fixture), a kubectl with a private cache
/// for this test, and helpers. xunit makes a new instance per test, so each test gets a fresh kubectl.
/// </summary>
public abstract class E2ETest : IDisposable
{
    /// <summary>Upper bound for anything eventually consistent (controllers, garbage collection).</summary>
    protected static readonly TimeSpan EventualTimeout = TimeSpan.FromSeconds(20);

    private RawApi? _api;

    protected E2ETest(AnvilServer server)
    {
        Server = server;
        Kubectl = new Kubectl(server);
    }

    protected AnvilServer Server { get; }

    protected Kubectl Kubectl { get; }

    /// <summary>HTTPS with the admin client certificate, for setup and for requests kubectl cannot make.</summary>
    protected RawApi Api => _api ??= RawApi.For(Server);

    protected Task<KubectlResult> K(params string[] args) => Kubectl.RunAsync(args);

    protected Task<KubectlResult> KWithInput(string stdin, params string[] args) => Kubectl.RunAsync(args, stdin);

    /// <summary>Creates this test's namespace (through the raw API, so setup does not depend on the features under test).</summary>
    protected async Task<string> NamespaceAsync(string name)
    {
        await Api.CreateNamespaceAsync(name).ConfigureAwait(false);
        return name;
    }

    /// <summary><c>kubectl create -f</c> of a YAML text given on stdin; fails the test unless it succeeds.</summary>
    protected async Task CreateAsync(string ns, string yaml)
    {
        (await KWithInput(yaml, "create", "-n", ns, "-f", "-").ConfigureAwait(false)).Succeeded();
    }

    /// <summary>The output of <c>kubectl get -o jsonpath</c>; fails the test unless kubectl succeeds.</summary>
    protected async Task<string> JsonPathAsync(string ns, string resource, string name, string template)
    {
        var args = new List<string> { "get", resource, name, "-o", "jsonpath=" + template };
        if (ns.Length > 0) args.InsertRange(0, ["-n", ns]);
        return (await K([.. args]).ConfigureAwait(false)).Succeeded().Stdout;
    }

    protected async Task<JsonObject> GetJsonAsync(string ns, string resource, string name)
    {
        var r = (await K("get", "-n", ns, resource, name, "-o", "json").ConfigureAwait(false)).Succeeded();
        return JsonNode.Parse(r.Stdout) as JsonObject ?? throw new Xunit.Sdk.XunitException("not a JSON object\n" + r);
    }

    /// <summary>
    /// Polls <paramref name="probe"/> (about 3 times a second) until it reports done, for at most
    /// <see cref="EventualTimeout"/>; then fails with the last state the probe saw.
    /// </summary>
    protected static async Task EventuallyAsync(string what, Func<Task<(bool Done, string State)>> probe, TimeSpan? timeout = null)
    {
        var limit = timeout ?? EventualTimeout;
        var deadline = DateTime.UtcNow + limit;
        var state = "";
        while (true)
        {
            bool done;
            (done, state) = await probe().ConfigureAwait(false);
            if (done) return;
            if (DateTime.UtcNow >= deadline) break;
            await Task.Delay(300).ConfigureAwait(false);
        }
        throw new Xunit.Sdk.XunitException($"{what}: not reached within {limit.TotalSeconds:0} s. Last state:\n{state}");
    }

    /// <summary>Waits until <c>kubectl get</c> of the object answers NotFound.</summary>
    protected Task EventuallyGoneAsync(string ns, string resource, string name) =>
        EventuallyAsync($"{resource}/{name} deleted", async () =>
        {
            var args = new List<string> { "get", resource, name, "-o", "name" };
            if (ns.Length > 0) args.InsertRange(0, ["-n", ns]);
            var r = await K([.. args]).ConfigureAwait(false);
            return (r.ExitCode != 0 && r.Stderr.Contains("(NotFound)", StringComparison.Ordinal), r.ToString());
        });

    public void Dispose()
    {
        Kubectl.Dispose();
        _api?.Dispose();
        GC.SuppressFinalize(this);
    }
}
