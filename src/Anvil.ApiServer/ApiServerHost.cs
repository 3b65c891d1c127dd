using System.Net;
using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Certificates;
using Anvil.ApiServer.Discovery;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Schema;
using Anvil.Storage;
using Anvil.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer;

/// <summary>
/// The API server process part of <c>anvil up</c>: opens the store, builds the resource catalog and
/// serves HTTPS with client-certificate authentication. <see cref="StartAsync"/> returns once listening.
/// </summary>
public sealed class ApiServerHost : IAsyncDisposable
{
    public const string GitVersion = "v1.32.4-anvil";

    private readonly ApiServerOptions _options;
    private WebApplication? _app;
    private IStore? _store;
    private CustomResources.CustomResourceManager? _customResources;
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;

    public ClusterPki Pki { get; private set; } = null!;
    public ResourceCatalog Catalog { get; } = new();
    public SchemaRegistry Schemas { get; } = new();
    public ResourceStore Resources { get; private set; } = null!;
    public string ServerUrl { get; private set; } = "";
    public string AdminKubeconfigPath => Path.Combine(_options.DataDir, "admin.kubeconfig");

    public ApiServerHost(ApiServerOptions options) => _options = options;

    public async Task StartAsync(CancellationToken ct)
    {
        FileModes.CreatePrivateDirectory(_options.DataDir);
        Pki = ClusterPki.LoadOrCreate(_options.DataDir, ExtraServingNames());
        var sqlite = await SqliteStore.OpenAsync(Path.Combine(_options.DataDir, "state.db"), ct).ConfigureAwait(false);
        // As kube-apiserver compacts etcd every 5 minutes, keeping recent history for watches to resume from.
        sqlite.StartAutoCompaction(TimeSpan.FromMinutes(5), keepRevisions: 10_000);
        _store = sqlite;

        var openApi = new OpenApiService(Catalog);
        openApi.LoadSchemas(Schemas);
        Catalog.AddRange(BuiltinResources.Build(
            BuiltinStrategies.For,
            Anvil.Machinery.Tables.TablePrinters.For,
            Anvil.Machinery.Selectors.FieldSelectorFields.For,
            Schemas));
        var time = TimeProvider.System;
        var rbac = new RbacAuthorizer();
        Resources = new ResourceStore(_store, new AdmissionChain([
            new NamespaceLifecycle(() => Resources, () => Catalog.Find("", "v1", "namespaces")!),
            new RbacEscalationCheck(rbac, () => Resources, () => Catalog),
        ]), time);
        var fieldManagers = new FieldManagers(time);
        Resources.ManagedFields = fieldManagers;
        var discovery = new DiscoveryDocuments(Catalog);
        // Authentication: every configured way in order; the first that recognises a credential decides.
        Authenticators.Add(new CertificateAuthenticator(new ClientCertificateAuthenticator(Pki)));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // enforced per request with a Status answer
            k.AddServerHeader = false;
            var address = IPAddress.Parse(_options.Bind);
            k.Listen(address, _options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = Pki.Serving,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    // Trust is decided per request so an untrusted certificate gets a 401, not a TLS failure.
                    ClientCertificateValidation = (_, _, _) => true,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                });
            });
        });
        _app = builder.Build();
        var log = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("apiserver");
        var handler = new ApiHandler(Catalog, Resources, Schemas, fieldManagers, time, log);
        new AccessReviews(() => Authorizer, rbac).Register(handler);
        var serverAddress = $"{_options.Bind}:{_options.Port}";

        _app.Run(async ctx =>
        {
            try
            {
                await ServeAsync(ctx, handler, discovery, openApi, serverAddress).ConfigureAwait(false);
            }
            catch (StatusError e)
            {
                if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, e).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                log.LogError(e, "request failed: {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
                if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, StatusError.InternalError(e.Message)).ConfigureAwait(false);
            }
        });

        _customResources = new CustomResources.CustomResourceManager(Catalog, Resources, openApi, Schemas, log);
        _background = _customResources.RunAsync(_stopping.Token);
        await _customResources.Synced.WaitAsync(ct).ConfigureAwait(false);

        // RBAC: default policy first, then the authorizer's index from the store; requests are served only after.
        await RbacBootstrap.EnsureAsync(Resources, Catalog, ct).ConfigureAwait(false);
        rbac.Log = log;
        _background = Task.WhenAll(_background, rbac.RunAsync(Resources, Catalog, _stopping.Token),
            new ClusterRoleAggregator(rbac, Resources, Catalog, log).RunAsync(_stopping.Token));
        await rbac.Synced.WaitAsync(ct).ConfigureAwait(false);
        Authorizer = rbac;

        await _app.StartAsync(ct).ConfigureAwait(false);
        var host = _options.Bind.Contains(':') ? $"[{_options.Bind}]" : _options.Bind;
        ServerUrl = $"https://{host}:{_options.Port}";
        await BootstrapAsync(ct).ConfigureAwait(false);
        WriteAdminKubeconfig();
    }

    private async Task ServeAsync(HttpContext ctx, ApiHandler handler, DiscoveryDocuments discovery, OpenApiService openApi, string serverAddress)
    {
        var path = ctx.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/healthz" or "/livez" or "/readyz":
                await ResponseWriter.WriteBytesAsync(ctx, 200, "ok"u8.ToArray(), "text/plain; charset=utf-8").ConfigureAwait(false);
                return;
            case "/version" or "/version/":
                await ResponseWriter.WriteObjectAsync(ctx, 200, VersionInfo()).ConfigureAwait(false);
                return;
        }

        var user = await AuthenticateAsync(ctx).ConfigureAwait(false) ?? throw StatusError.Unauthorized();
        var info = RequestInfo.Parse(ctx.Request.Method, path, ctx.Request.Query["watch"] is { Count: > 0 } w && (w.ToString() is "true" or "1"));
        await AuthorizeAsync(user, info, ctx.RequestAborted).ConfigureAwait(false);
        if (info.IsResourceRequest)
        {
            await handler.HandleAsync(ctx, info, user).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        await ServeNonResourceAsync(ctx, path, info, discovery, openApi, serverAddress).ConfigureAwait(false);
    }

    /// <summary>The ways requests authenticate, tried in order (client certificate first).</summary>
    public List<IAuthenticator> Authenticators { get; } = [];

    /// <summary>The authorizer every request passes; RBAC once enabled.</summary>
    public IAuthorizer Authorizer { get; set; } = new AlwaysAllowAuthorizer();

    private async Task<UserInfo?> AuthenticateAsync(HttpContext ctx)
    {
        foreach (var a in Authenticators)
            if (await a.AuthenticateAsync(ctx, ctx.RequestAborted).ConfigureAwait(false) is { } user) return user;
        return null;
    }

    private async Task AuthorizeAsync(UserInfo user, RequestInfo info, CancellationToken ct)
    {
        var attributes = info.IsResourceRequest
            ? new AuthorizationAttributes
            {
                User = user, Verb = info.Verb, IsResourceRequest = true, Namespace = info.Namespace, ApiGroup = info.Group,
                ApiVersion = info.Version, Resource = info.Resource, Subresource = info.Subresource, Name = info.Name,
            }
            : new AuthorizationAttributes { User = user, Verb = info.Verb, Path = info.Path };
        var decision = await Authorizer.AuthorizeAsync(attributes, ct).ConfigureAwait(false);
        if (!decision.Allowed) throw Forbidden.For(attributes, decision.Reason);
    }

    private static async Task ServeNonResourceAsync(HttpContext ctx, string path, RequestInfo info, DiscoveryDocuments discovery, OpenApiService openApi, string serverAddress)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        if (path is "/api" or "/api/" or "/apis" or "/apis/")
        {
            var core = path.StartsWith("/api/", StringComparison.Ordinal) || path == "/api";
            // Aggregated discovery when asked for (v2 preferred over v2beta1), else the legacy documents.
            var version = accept.Contains("g=apidiscovery.k8s.io;v=v2;", StringComparison.Ordinal) || accept.EndsWith("g=apidiscovery.k8s.io;v=v2", StringComparison.Ordinal)
                ? "v2" : accept.Contains("g=apidiscovery.k8s.io;v=v2beta1", StringComparison.Ordinal) ? "v2beta1" : null;
            if (version != null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal))
            {
                await ResponseWriter.WriteBytesAsync(ctx, 200, discovery.Aggregated(core, $"apidiscovery.k8s.io/{version}"),
                    $"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList").ConfigureAwait(false);
                return;
            }
            await ResponseWriter.WriteBytesAsync(ctx, 200, core ? discovery.ApiVersions(serverAddress) : discovery.ApiGroupList(), "application/json").ConfigureAwait(false);
            return;
        }
        if (info.ApiPrefix.Length > 0)
        {
            var doc = info.Version.Length > 0 ? discovery.ResourceList(info.Group, info.Version)
                : info.ApiPrefix == "apis" ? discovery.ApiGroup(info.Group) : null;
            if (doc == null)
            {
                await ApiHandler.WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
                return;
            }
            await ResponseWriter.WriteBytesAsync(ctx, 200, doc, "application/json").ConfigureAwait(false);
            return;
        }
        if (path is "/openapi/v3" or "/openapi/v3/")
        {
            await ResponseWriter.WriteBytesAsync(ctx, 200, openApi.Index(), "application/json").ConfigureAwait(false);
            return;
        }
        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            var doc = openApi.Document(path["/openapi/v3/".Length..]);
            if (doc == null)
            {
                await ApiHandler.WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
                return;
            }
            if (ctx.Request.Query.ContainsKey("hash")) ctx.Response.Headers.CacheControl = "public, immutable";
            await ResponseWriter.WriteBytesAsync(ctx, 200, doc, "application/json").ConfigureAwait(false);
            return;
        }
        if (path == "/openapi/v2")
        {
            // Only the JSON form exists; a protobuf-only client is told it is not here (kubectl tolerates a 404).
            if (!accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal) && accept.Length > 0)
            {
                await ApiHandler.WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
                return;
            }
            ctx.Response.ContentType = "application/json";
            await using var s = OpenApiService.SwaggerV2();
            await s.CopyToAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
            return;
        }
        await ApiHandler.WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
    }

    private static JsonObject VersionInfo() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "anvil",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-11-21T00:00:00Z",
        ["goVersion"] = "go1.23.8",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    private IEnumerable<string> ExtraServingNames()
    {
        if (_options.Bind is not ("127.0.0.1" or "::1" or "0.0.0.0" or "::")) yield return _options.Bind;
        string? fqdn = null;
        try { fqdn = Dns.GetHostEntry(Environment.MachineName).HostName; } catch (Exception) { }
        if (!string.IsNullOrEmpty(fqdn)) yield return fqdn;
    }

    /// <summary>The namespaces every cluster has.</summary>
    private async Task BootstrapAsync(CancellationToken ct)
    {
        var nsDef = Catalog.Find("", "v1", "namespaces")!;
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            if (await Resources.TryGetAsync(nsDef, "", name, ct).ConfigureAwait(false) != null) continue;
            var obj = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } };
            try
            {
                await Resources.CreateAsync(nsDef, "", obj, new WriteOptions { FieldManager = "kube-apiserver", User = new UserInfo("system:apiserver", ["system:masters"]) }, ct).ConfigureAwait(false);
            }
            catch (StatusError e) when (e.Reason == "AlreadyExists")
            {
            }
        }
    }

    private void WriteAdminKubeconfig()
    {
        var (cert, key) = Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(365));
        FileModes.WritePrivate(AdminKubeconfigPath, Kubeconfig.Build(ServerUrl, Pki.CaPem, "admin", cert, key));
    }

    /// <summary>Writes a kubeconfig for any user (tests, tool accounts).</summary>
    public string KubeconfigFor(string user, IEnumerable<string> groups, string? ns = null)
    {
        var (cert, key) = Pki.IssueClientCertificate(user, groups, TimeSpan.FromDays(30));
        return Kubeconfig.Build(ServerUrl, Pki.CaPem, user, cert, key, ns: ns);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        try { await _background.ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (_app != null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _app.StopAsync(cts.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        if (_store != null) await _store.DisposeAsync().ConfigureAwait(false);
    }
}
