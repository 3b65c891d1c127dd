using System.Net;
using System.Security.Cryptography.X509Certificates;
using Anvil.ApiServer;
using Anvil.Bench.Measurement;
using Anvil.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The floor under an API create on this machine: a bare Kestrel endpoint listening as the API server does
/// (<see cref="ApiServerHost.UseApiServerTls"/>: HTTPS, HTTP/2, client certificate asked for) that reads the body, writes it to the same store (one durable write) and
/// answers 201 with it. No authentication, authorization, admission, defaulting, validation, managedFields or JSON;
/// what an API create costs over this is Anvil's own work, the rest is .NET's HTTP stack, TLS, the clients and the
/// store on these 2 cores.
/// </summary>
internal sealed class HttpsFloor : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpsFloor(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<HttpsFloor> StartAsync(X509Certificate2 serving, IStore store, CancellationToken ct)
    {
        var port = Ports.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port, listen => ApiServerHost.UseApiServerTls(listen, serving));
        });
        var app = builder.Build();
        long seq = 0;
        app.Run(async ctx =>
        {
            var body = new byte[ctx.Request.ContentLength ?? 0];
            await ctx.Request.Body.ReadExactlyAsync(body, ctx.RequestAborted);
            await store.CreateAsync($"/bench/floor/{Interlocked.Increment(ref seq):D9}", body, ctx.RequestAborted);
            ctx.Response.StatusCode = StatusCodes.Status201Created;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = body.Length;
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
        });
        await app.StartAsync(ct);
        return new HttpsFloor(app, new Uri($"https://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
