using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Tests.Admission;

/// <summary>
/// An in-process HTTPS admission webhook on 127.0.0.1 with a self-signed certificate (for 127.0.0.1 and
/// <c>hook.ns.svc</c>). Paths: /allow, /deny, /patch (adds label patched=yes), /warn, /slow (waits 5 s), /baduid.
/// </summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private WebApplication _app = null!;
    public X509Certificate2 Certificate { get; private set; } = null!;
    public int Port { get; private set; }
    public ConcurrentQueue<(string Path, JsonObject Review)> Received { get; } = new();

    /// <summary>The certificate as a clientConfig.caBundle.</summary>
    public string CaBundle => Convert.ToBase64String(Encoding.ASCII.GetBytes(Certificate.ExportCertificatePem()));

    public static async Task<WebhookServer> StartAsync()
    {
        var s = new WebhookServer { Certificate = SelfSigned() };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(s.Certificate)));
        s._app = builder.Build();
        s._app.Run(s.HandleAsync);
        await s._app.StartAsync();
        s.Port = new Uri(s._app.Urls.First()).Port;
        return s;
    }

    public string Url(string path) => $"https://127.0.0.1:{Port}{path}";

    private async Task HandleAsync(HttpContext ctx)
    {
        var review = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
        var path = ctx.Request.Path.Value ?? "";
        Received.Enqueue((path, review));
        var uid = review["request"]!["uid"]!.GetValue<string>();
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = true };
        switch (path)
        {
            case "/deny":
                response["allowed"] = false;
                response["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = "pods named x are not welcome" };
                break;
            case "/patch":
                response["patchType"] = "JSONPatch";
                response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("""[{"op":"add","path":"/metadata/labels/patched","value":"yes"}]"""));
                break;
            case "/warn":
                response["warnings"] = new JsonArray("be careful", "really");
                break;
            case "/slow":
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted).ContinueWith(_ => { });
                break;
            case "/baduid":
                response["uid"] = "other";
                break;
        }
        ctx.Response.ContentType = "application/json";
        var body = new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=hook.ns.svc", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("hook.ns.svc");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
