using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class AdmissionWebhookTests : IAsyncLifetime
{
    private AdmissionFixture _f = null!;
    private WebhookServer _hook = null!;

    public async Task InitializeAsync()
    {
        _f = await AdmissionFixture.CreateAsync();
        _hook = await WebhookServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _hook.DisposeAsync();
        await _f.DisposeAsync();
    }

    private Task ConfigAsync(bool mutating, string name, string clientConfig, string extra = "", string resources = """["pods"]""", string operations = """["CREATE"]""") =>
        _f.CreateAsync(mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations", "", $$$"""
            {"metadata":{"name":"{{{name}}}"},"webhooks":[{"name":"{{{name}}}.example.com","clientConfig":{{{clientConfig}}},
             "rules":[{"operations":{{{operations}}},"apiGroups":[""],"apiVersions":["v1"],"resources":{{{resources}}}}],
             "sideEffects":"None","admissionReviewVersions":["v1"]{{{extra}}}}]}
            """, "admissionregistration.k8s.io");

    private string UrlConfig(string path) => $$$"""{"url":"{{{_hook.Url(path)}}}","caBundle":"{{{_hook.CaBundle}}}"}""";

    [Fact]
    public async Task DenialCarriesTheWebhookStatus()
    {
        await ConfigAsync(false, "deny", UrlConfig("/deny"));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("x")));
        Assert.Equal(403, e.Code);
        Assert.Equal("Forbidden", e.Reason);
        Assert.Equal("admission webhook \"deny.example.com\" denied the request: pods named x are not welcome", e.Message);
        // Other kinds do not match the rule.
        await _f.CreateAsync("configmaps", "ns", """{"metadata":{"name":"c"}}""");
    }

    [Fact]
    public async Task TheReviewDescribesTheRequest()
    {
        await ConfigAsync(false, "allow", UrlConfig("/allow"));
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        var (path, review) = Assert.Single(_hook.Received);
        Assert.Equal("/allow", path);
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        var request = review["request"]!;
        Assert.Equal("""{"group":"","version":"v1","kind":"Pod"}""", request["kind"]!.ToJsonString());
        Assert.Equal("""{"group":"","version":"v1","resource":"pods"}""", request["resource"]!.ToJsonString());
        Assert.Equal("CREATE", request["operation"]!.GetValue<string>());
        Assert.Equal("p", request["name"]!.GetValue<string>());
        Assert.Equal("ns", request["namespace"]!.GetValue<string>());
        Assert.Equal("admin", request["userInfo"]!["username"]!.GetValue<string>());
        Assert.Equal("p", request["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(request["oldObject"]);
        Assert.False(request["dryRun"]!.GetValue<bool>());
        Assert.Equal("CreateOptions", request["options"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task MutatingWebhookPatchIsApplied()
    {
        await ConfigAsync(true, "patch", UrlConfig("/patch"));
        var pod = await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p", labels: """{"app":"web"}"""));
        Assert.Equal("""{"app":"web","patched":"yes"}""", pod["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal("yes", (await _f.GetAsync("pods", "ns", "p"))["metadata"]!["labels"]!["patched"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("IfNeeded", 2)]
    [InlineData("Never", 1)]
    public async Task ReinvocationAfterALaterPatch(string policy, int calls)
    {
        await ConfigAsync(true, "a-observer", UrlConfig("/allow"), ",\"reinvocationPolicy\":\"" + policy + "\"");
        await ConfigAsync(true, "b-patcher", UrlConfig("/patch"));
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        var observed = _hook.Received.Where(r => r.Path == "/allow").ToList();
        Assert.Equal(calls, observed.Count);
        // Only the second call sees what the later webhook added.
        Assert.Equal(calls == 2 ? "yes" : null, observed[^1].Review["request"]!["object"]!["metadata"]!["labels"]?["patched"]?.GetValue<string>());
    }

    [Fact]
    public async Task WarningsReachTheClient()
    {
        await ConfigAsync(false, "warn", UrlConfig("/warn"));
        var options = new WriteOptions { User = AdmissionFixture.Admin };
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"), options: options);
        Assert.Equal(["be careful", "really"], options.Warnings);
    }

    [Fact]
    public async Task TimeoutFailsTheRequestUnderFail()
    {
        await ConfigAsync(false, "slow", UrlConfig("/slow"), ""","timeoutSeconds":1""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p")));
        Assert.Equal(500, e.Code);
        Assert.Equal($"Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"https://127.0.0.1:{_hook.Port}/slow?timeout=1s\": context deadline exceeded", e.Message);
    }

    [Fact]
    public async Task UnreachableWebhookFailsOrIsIgnored()
    {
        var port = TestPorts.FreePort();
        var config = $$$"""{"url":"https://127.0.0.1:{{{port}}}/x","caBundle":"{{{_hook.CaBundle}}}"}""";
        await ConfigAsync(false, "down", config);
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p")));
        Assert.Equal($"Internal error occurred: failed calling webhook \"down.example.com\": failed to call webhook: Post \"https://127.0.0.1:{port}/x?timeout=10s\": dial tcp 127.0.0.1:{port}: connect: connection refused", e.Message);

        await ConfigAsync(false, "ignored", config, ""","failurePolicy":"Ignore" """);
        await _f.Store.DeleteAsync(_f.Resource("validatingwebhookconfigurations", "admissionregistration.k8s.io"), "", "down", new DeleteOptions(), new WriteOptions { User = AdmissionFixture.Admin }, default);
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
    }

    [Fact]
    public async Task AnUntrustedCertificateIsACallFailure()
    {
        await using var other = await WebhookServer.StartAsync();
        await ConfigAsync(false, "untrusted", $$$"""{"url":"{{{_hook.Url("/allow")}}}","caBundle":"{{{other.CaBundle}}}"}""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p")));
        Assert.EndsWith("/allow?timeout=10s\": tls: failed to verify certificate: x509: certificate signed by unknown authority", e.Message);
        Assert.Empty(_hook.Received);
    }

    [Fact]
    public async Task AResponseForAnotherRequestIsRefused()
    {
        await ConfigAsync(false, "baduid", UrlConfig("/baduid"));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p")));
        Assert.Matches("^Internal error occurred: failed calling webhook \"baduid.example.com\": expected response.uid=\"[0-9a-f-]{36}\", got \"other\"$", e.Message);
    }

    [Fact]
    public async Task ServiceReferencesResolveToAnEndpoint()
    {
        await _f.CreateAsync("services", "ns", """{"metadata":{"name":"hook"},"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}""");
        // Endpoints may not name loopback addresses through the API: the test's server only listens there, so the
        // object is written to storage directly.
        var endpoints = $$$"""
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"hook","namespace":"ns"},"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"https","port":{{{_hook.Port}}}}]}]}
            """;
        await _f.Store.Storage.CreateAsync(_f.Resource("endpoints").Key("ns", "hook"), System.Text.Encoding.UTF8.GetBytes(endpoints.Trim()));
        await ConfigAsync(false, "svc", $$$"""{"service":{"namespace":"ns","name":"hook","path":"/deny"},"caBundle":"{{{_hook.CaBundle}}}"}""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("x")));
        Assert.Equal("admission webhook \"svc.example.com\" denied the request: pods named x are not welcome", e.Message);
    }

    [Fact]
    public async Task SelectorsAndSubresourceRulesNarrowTheCalls()
    {
        await ConfigAsync(false, "objsel", UrlConfig("/deny"), ""","objectSelector":{"matchLabels":{"guarded":"true"}}""");
        await ConfigAsync(false, "nssel", UrlConfig("/deny"), ""","namespaceSelector":{"matchLabels":{"team":"b"}}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("free"));
        await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("guarded", labels: """{"guarded":"true"}""")));

        await ConfigAsync(false, "status", UrlConfig("/deny"), "", """["pods/status"]""", """["UPDATE"]""");
        var pod = await _f.GetAsync("pods", "ns", "free");
        pod["metadata"]!["labels"] = new JsonObject { ["a"] = "b" };
        await _f.Store.UpdateAsync(_f.Resource("pods"), "ns", "free", pod, new WriteOptions { User = AdmissionFixture.Admin }, default);
        pod = await _f.GetAsync("pods", "ns", "free");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.UpdateAsync(_f.Resource("pods"), "ns", "free", pod,
            new WriteOptions { User = AdmissionFixture.Admin, Subresource = "status" }, default));
        Assert.Equal("admission webhook \"status.example.com\" denied the request: pods named x are not welcome", e.Message);
    }

    [Fact]
    public async Task WebhookConfigurationsAreExempt()
    {
        await _f.CreateAsync("validatingwebhookconfigurations", "", $$$"""
            {"metadata":{"name":"all"},"webhooks":[{"name":"all.example.com","clientConfig":{{{UrlConfig("/deny")}}},
             "rules":[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}],
             "sideEffects":"None","admissionReviewVersions":["v1"]}]}
            """, "admissionregistration.k8s.io");
        await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("configmaps", "ns", """{"metadata":{"name":"c"}}"""));
        await _f.Store.DeleteAsync(_f.Resource("validatingwebhookconfigurations", "admissionregistration.k8s.io"), "", "all", new DeleteOptions(), new WriteOptions { User = AdmissionFixture.Admin }, default);
        await _f.CreateAsync("configmaps", "ns", """{"metadata":{"name":"c"}}""");
    }

    [Fact]
    public async Task ConfigurationsAreValidatedAndDefaulted()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("validatingwebhookconfigurations", "", """
            {"metadata":{"name":"bad"},"webhooks":[{"name":"bad","clientConfig":{"url":"http://x"},"timeoutSeconds":40}]}
            """, "admissionregistration.k8s.io"));
        Assert.Equal("ValidatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: [webhooks[0].name: Invalid value: \"bad\": should be a domain with at least three segments separated by dots, webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun, webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1, webhooks[0].timeoutSeconds: Invalid value: 40: the timeout value must be between 1 and 30 seconds, webhooks[0].clientConfig.url: Invalid value: \"http://x\": 'https' is the only allowed URL scheme]", e.Message);
        await ConfigAsync(true, "defaults", UrlConfig("/allow"));
        var stored = await _f.GetAsync("mutatingwebhookconfigurations", "", "defaults", "admissionregistration.k8s.io");
        var w = stored["webhooks"]![0]!;
        Assert.Equal("Fail", w["failurePolicy"]!.GetValue<string>());
        Assert.Equal("Equivalent", w["matchPolicy"]!.GetValue<string>());
        Assert.Equal(10, w["timeoutSeconds"]!.GetValue<int>());
        Assert.Equal("Never", w["reinvocationPolicy"]!.GetValue<string>());
        Assert.Equal("*", w["rules"]![0]!["scope"]!.GetValue<string>());
    }
}
