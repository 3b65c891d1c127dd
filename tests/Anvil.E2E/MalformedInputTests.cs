using System.Net;
using System.Text;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Bad requests get a Kubernetes Status with the right code and never change the store.
/// Sent with a raw HTTPS client (admin client certificate), since kubectl would not send them.
/// </summary>
public sealed class MalformedInputTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private const string ConfigMaps = "/api/v1/namespaces/{0}/configmaps";

    private const string NameMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public static TheoryData<string, string, int, string, string?> PostCases => new()
    {
        // case, body, code, reason, message (null: not asserted exactly)
        { "truncated-json", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x""", 400, "BadRequest", null },
        { "not-json", "this is not json", 400, "BadRequest", null },
        { "data-number", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":1}}""", 400, "BadRequest", null },
        { "labels-string", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":"oops"}}""", 400, "BadRequest", null },
        { "data-array", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":["a"]}""", 400, "BadRequest", null },
        { "invalid-name", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Foo_Bar"}}""", 422, "Invalid",
            $"ConfigMap \"Foo_Bar\" is invalid: metadata.name: Invalid value: \"Foo_Bar\": {NameMessage}" },
    };

    [Theory]
    [MemberData(nameof(PostCases))]
    public async Task Post_BadBody_StatusAndStoreUnchanged(string name, string body, int code, string reason, string? message)
    {
        var ns = await SeededNamespaceAsync("malformed-" + name);
        var before = await SnapshotAsync(ns);

        var r = await Api.PostAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, ConfigMaps, ns), body);

        AssertStatus(r, code, reason, message);
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    [Fact]
    public async Task Post_WrongType_NamesTheKind()
    {
        var ns = await SeededNamespaceAsync("malformed-kind-message");

        var r = await Api.PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":1}}""");

        AssertStatus(r, 400, "BadRequest", null);
        Assert.StartsWith("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: ", (string?)r.Json["message"]);
    }

    [Fact]
    public async Task Post_InvalidName_HasCause()
    {
        var ns = await SeededNamespaceAsync("malformed-name-cause");

        var r = await Api.PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Foo_Bar"}}""");

        AssertStatus(r, 422, "Invalid", null);
        var details = r.Json["details"]!;
        Assert.Equal("Foo_Bar", (string?)details["name"]);
        Assert.Equal("ConfigMap", (string?)details["kind"]);
        var cause = details["causes"]![0]!;
        Assert.Equal("FieldValueInvalid", (string?)cause["reason"]);
        Assert.Equal("metadata.name", (string?)cause["field"]);
        Assert.Equal($"Invalid value: \"Foo_Bar\": {NameMessage}", (string?)cause["message"]);
    }

    [Fact]
    public async Task Post_4MiB_IsRequestEntityTooLarge()
    {
        var ns = await SeededNamespaceAsync("malformed-large");
        var before = await SnapshotAsync(ns);
        var big = new string('x', 4 * 1024 * 1024);
        var body = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"big":"{{{big}}}"}}""");

        var r = await Api.PostAsync($"/api/v1/namespaces/{ns}/configmaps", body);

        AssertStatus(r, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    [Fact]
    public async Task Put_BadJson_StoreUnchanged()
    {
        var ns = await SeededNamespaceAsync("malformed-put");
        var before = await SnapshotAsync(ns);

        var r = await Api.PutAsync($"/api/v1/namespaces/{ns}/configmaps/seed", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"seed"},"data":{""");

        AssertStatus(r, 400, "BadRequest", null);
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    [Fact]
    public async Task Put_NameMismatch_IsBadRequest()
    {
        var ns = await SeededNamespaceAsync("malformed-put-name");
        var before = await SnapshotAsync(ns);

        var r = await Api.PutAsync($"/api/v1/namespaces/{ns}/configmaps/seed", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}}""");

        AssertStatus(r, 400, "BadRequest", "the name of the object (other) does not match the name on the URL (seed)");
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    [Fact]
    public async Task KubectlCreate_InvalidName_ShowsInvalid()
    {
        var ns = await SeededNamespaceAsync("malformed-kubectl-name");
        var before = await SnapshotAsync(ns);

        var r = (await KWithInput("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: Foo_Bar}
            """, "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal($"The ConfigMap \"Foo_Bar\" is invalid: metadata.name: Invalid value: \"Foo_Bar\": {NameMessage}\n", r.Stderr);
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    [Fact]
    public async Task KubectlGetRaw_NotFound()
    {
        var ns = await SeededNamespaceAsync("malformed-raw-get");

        var r = (await K("get", "--raw", $"/api/v1/namespaces/{ns}/configmaps/nope")).Failed();

        Assert.Equal("Error from server (NotFound): configmaps \"nope\" not found\n", r.Stderr);
    }

    [Fact]
    public async Task KubectlCreateRaw_BadJson_IsBadRequest()
    {
        var ns = await SeededNamespaceAsync("malformed-raw-create");
        var before = await SnapshotAsync(ns);
        var file = Kubectl.WriteFile("bad.json", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":""");

        var r = (await K("create", "--raw", $"/api/v1/namespaces/{ns}/configmaps", "-f", file)).Failed();

        Assert.StartsWith("Error from server (BadRequest): ", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(ns));
    }

    private async Task<string> SeededNamespaceAsync(string name)
    {
        var ns = await NamespaceAsync(name);
        var r = await Api.PostAsync($"/api/v1/namespaces/{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"seed"},"data":{"a":"1"}}""");
        Assert.True(r.Status == HttpStatusCode.Created, r.ToString());
        // The root-ca-cert-publisher adds kube-root-ca.crt to every new namespace on its own time: wait for it, so the
        // snapshots before and after the bad request see the same settled namespace.
        await EventuallyAsync("kube-root-ca.crt published", async () =>
        {
            var cm = await Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt");
            return (cm.Status == HttpStatusCode.OK, cm.ToString());
        });
        return ns;
    }

    /// <summary>Names, resourceVersions and data of the namespace's ConfigMaps.</summary>
    private async Task<string> SnapshotAsync(string ns)
    {
        var r = await Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps");
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return string.Join("\n", r.Json["items"]!.AsArray().Select(i =>
            $"{i!["metadata"]!["name"]} {i["metadata"]!["resourceVersion"]} {i["data"]?.ToJsonString()}"));
    }

    private static void AssertStatus(RawResponse r, int code, string reason, string? message)
    {
        Assert.True((int)r.Status == code, $"expected HTTP {code}\n{r}");
        var json = r.Json;
        Assert.True((string?)json["kind"] == "Status" && (string?)json["apiVersion"] == "v1" && (string?)json["status"] == "Failure"
            && (string?)json["reason"] == reason && (int?)json["code"] == code,
            $"expected a Status Failure {code} {reason}\n{r}");
        if (message is not null) Assert.Equal(message, (string?)json["message"]);
    }
}
