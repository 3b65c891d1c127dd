using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Anvil.E2E;

/// <summary>Dynamic admission as kubectl sees it: webhook configurations in tables, a denial and a mutation.</summary>
public sealed class WebhookTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>, IAsyncLifetime
{
    private WebApplication _hook = null!;
    private X509Certificate2 _cert = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _cert = SelfSigned();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(_cert)));
        _hook = builder.Build();
        _hook.Run(async ctx =>
        {
            var review = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
            var request = review["request"]!;
            var response = new JsonObject { ["uid"] = request["uid"]!.GetValue<string>(), ["allowed"] = true };
            if (ctx.Request.Path == "/deny" && request["name"]?.GetValue<string>() == "forbidden")
            {
                response["allowed"] = false;
                response["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = "the name forbidden is reserved" };
            }
            if (ctx.Request.Path == "/label")
            {
                response["patchType"] = "JSONPatch";
                response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("""[{"op":"add","path":"/metadata/labels","value":{"stamped":"by-webhook"}}]"""));
                response["warnings"] = new JsonArray("stamped by the webhook");
            }
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response }.ToJsonString());
        });
        await _hook.StartAsync();
        _port = new Uri(_hook.Urls.First()).Port;
    }

    public async Task DisposeAsync()
    {
        await _hook.DisposeAsync();
        _cert.Dispose();
    }

    private string Configuration(string kind, string name, string path, string ns) => $"""
        apiVersion: admissionregistration.k8s.io/v1
        kind: {kind}
        metadata: {"{"}name: {name}{"}"}
        webhooks:
        - name: {name}.anvil.test
          clientConfig:
            url: https://127.0.0.1:{_port}{path}
            caBundle: {Convert.ToBase64String(Encoding.ASCII.GetBytes(_cert.ExportCertificatePem()))}
          rules:
          - {"{"}operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]{"}"}
          namespaceSelector:
            matchLabels: {"{"}kubernetes.io/metadata.name: {ns}{"}"}
          sideEffects: None
          admissionReviewVersions: [v1]
        """;

    [Fact]
    public async Task ValidatingWebhook_DeniesWithItsMessage()
    {
        var ns = await NamespaceAsync("webhook-deny");
        (await KWithInput(Configuration("ValidatingWebhookConfiguration", "e2e-deny", "/deny", ns), "create", "-f", "-")).Succeeded();

        Table.AssertHasRow(await K("get", "validatingwebhookconfigurations"), ["NAME", "WEBHOOKS", "AGE"], ["e2e-deny", "1", Table.Age]);
        await CreateAsync(ns, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: allowed}\n");
        var r = (await KWithInput("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: forbidden}\n", "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("Error from server (Forbidden): error when creating \"STDIN\": admission webhook \"e2e-deny.anvil.test\" denied the request: the name forbidden is reserved\n", r.Stderr);
        (await K("delete", "validatingwebhookconfiguration", "e2e-deny")).Succeeded();
    }

    [Fact]
    public async Task MutatingWebhook_PatchesAndWarns()
    {
        var ns = await NamespaceAsync("webhook-mutate");
        (await KWithInput(Configuration("MutatingWebhookConfiguration", "e2e-label", "/label", ns), "create", "-f", "-")).Succeeded();

        var r = (await KWithInput("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stamped}\n", "create", "-n", ns, "-f", "-")).Succeeded();

        Assert.Equal("Warning: stamped by the webhook\n", r.Stderr);
        Assert.Equal("by-webhook", await JsonPathAsync(ns, "configmap", "stamped", "{.metadata.labels.stamped}"));
        (await K("delete", "mutatingwebhookconfiguration", "e2e-label")).Succeeded();
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
