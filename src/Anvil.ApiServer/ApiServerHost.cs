using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Admission.Webhooks;
using Anvil.ApiServer.Audit;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Certificates;
using Anvil.ApiServer.Discovery;
using Anvil.ApiServer.Encryption;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Flow;
using Anvil.ApiServer.Instrumentation;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Instrumentation;
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
    private EncryptingStore? _encrypting;
    private AuditRecorder? _audit;
    private CustomResources.CustomResourceManager? _customResources;
    private WebhookClient? _webhookClient;
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
        var encryption = EncryptionConfiguration.LoadOrCreate(EncryptionConfigPath);
        var dbPath = Path.Combine(_options.DataDir, "state.db");
        OwnerOnly(dbPath, create: true); // SQLite gives its -wal and -shm files the database file's mode
        var sqlite = await SqliteStore.OpenAsync(dbPath, ct).ConfigureAwait(false);
        foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + ".lock" }) OwnerOnly(f, create: false);
        // As kube-apiserver compacts etcd every 5 minutes, keeping recent history for watches to resume from.
        sqlite.StartAutoCompaction(TimeSpan.FromMinutes(5), keepRevisions: 10_000);
        _store = _encrypting = new EncryptingStore(sqlite, encryption);
        sqlite.RegisterMetrics(Monitoring.Registry);
        Monitoring.IsServed = info => Catalog.Find(info.Group, info.Version, info.Resource) is { } def && (info.Subresource.Length == 0 || def.HasSubresource(info.Subresource));

        var openApi = new OpenApiService(Catalog);
        openApi.LoadSchemas(Schemas);
        Catalog.AddRange(BuiltinResources.Build(
            BuiltinStrategies.For,
            Anvil.Machinery.Tables.TablePrinters.For,
            Anvil.Machinery.Selectors.FieldSelectorFields.For,
            Schemas));
        Catalog.AddRange(Metrics.MetricsApi.Definitions());
        var time = TimeProvider.System;
        var rbac = new RbacAuthorizer();
        _webhookClient = new WebhookClient(() => Resources, () => Catalog);
        var caches = Caches;
        var webhooks = new WebhookDispatcher(() => Resources, () => Catalog, _webhookClient, caches);
        // Kubernetes' order; the chain runs every plugin's mutation before any validation.
        // Writes go through the cache fence so what admission reads from the caches is never older than a write
        // whose response a client already has.
        Resources = new ResourceStore(new CacheFencedStore(_store, caches), new AdmissionChain([
            new NamespaceLifecycle(() => Resources, () => Catalog.Find("", "v1", "namespaces")!, caches),
            new LimitRanger(() => Resources, () => Catalog, caches),
            .. Enabled(new ServiceAccount(() => Resources, () => Catalog.Find("", "v1", "serviceaccounts")!, caches)),
            new DefaultTolerationSeconds(),
            new CertificateApproval(() => Authorizer), new CertificateSigning(() => Authorizer), new CertificateSubjectRestriction(),
            new RbacEscalationCheck(rbac, () => Resources, () => Catalog),
            .. _options.PlatformAdmission?.Invoke(this) ?? [],
            new MutatingAdmissionWebhook(new WebhookConfigurationSource(() => Resources, () => Catalog, "mutatingwebhookconfigurations", caches), webhooks),
            new ValidatingAdmissionWebhook(new WebhookConfigurationSource(() => Resources, () => Catalog, "validatingwebhookconfigurations", caches), webhooks),
            new ResourceQuotaAdmission(() => Resources, () => Catalog, time, caches),
        ]), time);
        var fieldManagers = new FieldManagers(time);
        Resources.ManagedFields = fieldManagers;
        var discovery = new DiscoveryDocuments(Catalog);
        // Authentication: every configured way in order; the first that recognises a credential decides.
        Authenticators.Add(new CertificateAuthenticator(new ClientCertificateAuthenticator(Pki)));
        var saKey = ServiceAccountSigningKey.LoadOrCreate(Path.Combine(_options.DataDir, "pki"));
        var tokenIssuer = new ServiceAccountTokenIssuer(saKey, time);
        var bearerTokens = new BearerTokenAuthenticator([
            new ServiceAccountTokenAuthenticator(tokenIssuer, Catalog, Resources),
            new LegacyServiceAccountTokenAuthenticator(saKey, Catalog, Resources),
        ]);
        Authenticators.Add(bearerTokens);

        // No appsettings reload: its file watcher on the content root (the working directory) woke the server on
        // every file change there, costing idle CPU for nothing; configuration comes from flags.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = _options.DataDir,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // enforced per request with a Status answer
            k.AddServerHeader = false;
            var address = IPAddress.Parse(_options.Bind);
            k.Listen(address, _options.Port, listen => UseApiServerTls(listen, Pki.Serving));
        });
        _app = builder.Build();
        var log = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("apiserver");
        webhooks.Log = log;
        _audit = AuditRecorder.FromOptions(_options, log);
        var audit = _audit;
        var handler = new ApiHandler(Catalog, Resources, Schemas, fieldManagers, time, log);
        Handler = handler;
        Registry.Core.PodSubresourceHandler.Register(handler, Resources, Catalog, time);
        handler.Subresources.Add("", "serviceaccounts", "token", new TokenRequestHandler(tokenIssuer, Catalog, Resources));
        handler.VirtualCreates.Add("authentication.k8s.io", "tokenreviews", new TokenReviewHandler(bearerTokens, tokenIssuer.ApiAudiences));
        handler.VirtualCreates.Add("authentication.k8s.io", "selfsubjectreviews", new SelfSubjectReviewHandler(time));
        new AccessReviews(() => Authorizer, rbac).Register(handler);
        new Metrics.MetricsApi(Catalog, Resources, new Kubelet.KubeletStats(Catalog, Resources, () => handler.Kubelet, log), time).Register(handler);
        var serverAddress = $"{_options.Bind}:{_options.Port}";
        var (kubeletCert, kubeletKey) = Pki.IssueClientCertificate(Kubelet.KubeletClient.ClientName, [], TimeSpan.FromDays(365));
        handler.Kubelet = new Kubelet.KubeletClient(Machinery.Tls.ClusterTrust.LoadCertificate(kubeletCert, kubeletKey), Pki.Ca);
        // pods/exec and pods/attach arrive as WebSocket upgrades.
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });

        // The audit recorder wraps the whole request, error answers included, to log the final status.
        // Inside it, the metrics see the same final status.
        _app.Run(ctx => audit.ServeAsync(ctx, () =>
        {
            var info = AuditContext.Of(ctx)!.Info;
            return Monitoring.ServeAsync(ctx, info, IsLongRunning(info, ctx), () => ServeAnsweringErrorsAsync(ctx, info, handler, discovery, openApi, serverAddress, log));
        }));

        _customResources = new CustomResources.CustomResourceManager(Catalog, Resources, openApi, Schemas, log);
        _background = _customResources.RunAsync(_stopping.Token);
        _background = Task.WhenAll(_background, new CsrSigningController(Catalog, Resources, Pki, log).RunAsync(_stopping.Token));
        await _customResources.Synced.WaitAsync(ct).ConfigureAwait(false);

        // The admission plugins' caches (upstream's shared informers); requests are served once they have listed.
        foreach (var (group, resource) in CachedResources)
            caches.Add(new ObjectCache(Resources, Catalog.Find(group, "v1", resource) ?? throw new InvalidOperationException($"{resource} is not served"), log));
        _background = Task.WhenAll(_background, caches.RunAsync(_stopping.Token));
        await caches.Synced.WaitAsync(ct).ConfigureAwait(false);

        // RBAC: default policy first, then the authorizer's index from the store; requests are served only after.
        await RbacBootstrap.EnsureAsync(Resources, Catalog, ct).ConfigureAwait(false);
        rbac.Log = log;
        _background = Task.WhenAll(_background, rbac.RunAsync(Resources, Catalog, _stopping.Token),
            new ClusterRoleAggregator(rbac, Resources, Catalog, log).RunAsync(_stopping.Token));
        await rbac.Synced.WaitAsync(ct).ConfigureAwait(false);
        // --authorization-mode=Node,RBAC
        Authorizer = new UnionAuthorizer([new NodeAuthorizer(() => Resources, () => Catalog), rbac]);

        await _app.StartAsync(ct).ConfigureAwait(false);
        var host = _options.Bind.Contains(':') ? $"[{_options.Bind}]" : _options.Bind;
        ServerUrl = $"https://{host}:{_options.Port}";
        await BootstrapAsync(ct).ConfigureAwait(false);
        // Counted from here on, so the first figures include the bootstrap namespaces and roles.
        var objectCounts = new StorageObjectCounts(Catalog, Resources.Storage);
        objectCounts.Register(Monitoring.Registry);
        _background = Task.WhenAll(_background, objectCounts.RunAsync(_options.StorageCountPollPeriod, _stopping.Token));
        WriteAdminKubeconfig();
    }

    /// <summary>
    /// The API server's listener: HTTP/1.1 and HTTP/2 over TLS 1.2 or 1.3, a client certificate asked for but not
    /// required (the benchmark's HTTPS floor listens the same way).
    /// </summary>
    public static void UseApiServerTls(ListenOptions listen, X509Certificate2 serving)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            // Trust is decided per request so an untrusted certificate gets a 401, not a TLS failure.
            ClientCertificateValidation = (_, _, _) => true,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        });
    }

    /// <summary>Serves the request; an error becomes its Status answer (a 500 only for what nothing else caught, logged).</summary>
    private async Task ServeAnsweringErrorsAsync(HttpContext ctx, RequestInfo info, ApiHandler handler, DiscoveryDocuments discovery, OpenApiService openApi, string serverAddress, ILogger log)
    {
        try
        {
            await ServeAsync(ctx, info, handler, discovery, openApi, serverAddress).ConfigureAwait(false);
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
    }

    private async Task ServeAsync(HttpContext ctx, RequestInfo info, ApiHandler handler, DiscoveryDocuments discovery, OpenApiService openApi, string serverAddress)
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
        // Impersonation runs between authentication and authorization; null when it already answered.
        if (await Impersonation.ApplyAsync(ctx, user, Authorizer, ctx.RequestAborted).ConfigureAwait(false) is not { } actingAs) return;
        user = actingAs;
        AuditContext.Of(ctx)?.Authenticated(user, info);
        await AuthorizeAsync(ctx, user, info).ConfigureAwait(false);
        using var slot = Inflight.Enter(user, info.Verb, IsLongRunning(info, ctx));
        if (info.IsResourceRequest)
        {
            await handler.HandleAsync(ctx, info, user).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        if (path == "/metrics")
        {
            await ResponseWriter.WriteBytesAsync(ctx, 200, System.Text.Encoding.UTF8.GetBytes(Monitoring.Registry.Render()), MetricsWriter.ContentType).ConfigureAwait(false);
            return;
        }
        await ServeNonResourceAsync(ctx, path, info, discovery, openApi, serverAddress).ConfigureAwait(false);
    }

    private static readonly (string Group, string Resource)[] CachedResources =
    [
        ("", "namespaces"), ("", "serviceaccounts"), ("", "limitranges"), ("", "resourcequotas"),
        (WebhookConfigurationSource.Group, "mutatingwebhookconfigurations"), (WebhookConfigurationSource.Group, "validatingwebhookconfigurations"),
    ];

    /// <summary>The watch-fed caches admission reads (namespaces, service accounts, limit ranges, quotas, webhook configurations).</summary>
    public ObjectCaches Caches { get; } = new();

    /// <summary>An admission plugin unless <c>--disable-admission-plugins</c> names it.</summary>
    private IEnumerable<IAdmissionPlugin> Enabled(IAdmissionPlugin plugin) =>
        _options.DisabledAdmissionPlugins.Contains(plugin.Name) ? [] : [plugin];

    /// <summary>The PEM file of the service account signing key (<c>--service-account-private-key-file</c> of the controller manager).</summary>
    public string ServiceAccountKeyPath => Path.Combine(_options.DataDir, "pki", "sa.key");

    /// <summary>What <c>/metrics</c> serves (requests, the store, the process and runtime).</summary>
    public ApiServerMetrics Monitoring { get; } = new(GitVersion);

    /// <summary>Bounds concurrent requests per kind (reads, writes) with per-user fairness.</summary>
    public InflightLimiter Inflight { get; set; } = new();

    /// <summary>Watches and streams hold a connection for long; they are not counted against in-flight limits.</summary>
    private static bool IsLongRunning(RequestInfo info, HttpContext ctx) =>
        info.Verb == "watch" || info.Subresource is "exec" or "attach" or "portforward" or "proxy"
        || info.Subresource == "log" && ctx.Request.Query["follow"].ToString() == "true";

    /// <summary>The REST handler (for registering in-process node log sources).</summary>
    public ApiHandler Handler { get; private set; } = null!;

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

    private async Task AuthorizeAsync(HttpContext ctx, UserInfo user, RequestInfo info)
    {
        var attributes = info.IsResourceRequest
            ? new AuthorizationAttributes
            {
                User = user, Verb = info.Verb, IsResourceRequest = true, Namespace = info.Namespace, ApiGroup = info.Group,
                ApiVersion = info.Version, Resource = info.Resource, Subresource = info.Subresource, Name = info.Name,
            }
            : new AuthorizationAttributes { User = user, Verb = info.Verb, Path = info.Path };
        var decision = await Authorizer.AuthorizeAsync(attributes, ctx.RequestAborted).ConfigureAwait(false);
        AuditContext.Of(ctx)?.Authorized(decision);
        if (!decision.Allowed) throw Forbidden.For(attributes, decision.Reason);
        // A WebSocket upgrade of exec, attach or portforward is a GET, but opens a session like the POST does: it
        // needs create as well (kube-apiserver's AuthorizePodWebsocketUpgradeCreatePermission).
        if (attributes.IsResourceRequest && attributes.Verb == "get" && info.Group.Length == 0 && info.Resource == "pods"
            && info.Subresource is "exec" or "attach" or "portforward")
        {
            var create = attributes with { Verb = "create" };
            var createDecision = await Authorizer.AuthorizeAsync(create, ctx.RequestAborted).ConfigureAwait(false);
            if (!createDecision.Allowed) throw Forbidden.For(create, createDecision.Reason);
        }
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

    /// <summary>The namespaces every cluster has, and the kubernetes Service in default.</summary>
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
        foreach (var (group, resource, obj) in Registry.Core.KubernetesService.Objects(_options.Bind, _options.Port))
        {
            var def = Catalog.Find(group, "v1", resource)!;
            if (await Resources.TryGetAsync(def, "default", "kubernetes", ct).ConfigureAwait(false) != null) continue;
            try
            {
                await Resources.CreateAsync(def, "default", obj, new WriteOptions { FieldManager = "kube-apiserver", User = new UserInfo("system:apiserver", ["system:masters"]) }, ct).ConfigureAwait(false);
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
        if (_audit != null) await _audit.DisposeAsync().ConfigureAwait(false);
        _webhookClient?.Dispose();
        if (_store != null) await _store.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The EncryptionConfiguration in use (<c>--encryption-provider-config</c>, default <c>&lt;data-dir&gt;/encryption-config.yaml</c>).</summary>
    public string EncryptionConfigPath => _options.EncryptionProviderConfig ?? Path.Combine(_options.DataDir, EncryptionConfiguration.DefaultFileName);

    /// <summary>
    /// Re-reads the encryption configuration (on SIGHUP) and rewrites every covered value not yet under the
    /// first key, e.g. after <c>anvil admin rotate-encryption-key</c> added one. Returns how many were rewritten.
    /// A configuration that does not load is refused and the old one stays in use.
    /// </summary>
    public async Task<int> ReloadEncryptionConfigurationAsync(CancellationToken ct)
    {
        var store = _encrypting ?? throw new InvalidOperationException("the server is not started");
        store.Reload(EncryptionConfiguration.Load(EncryptionConfigPath));
        return await store.RewriteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Makes a store file owner-only (0600), creating an empty one first when asked.</summary>
    private static void OwnerOnly(string path, bool create)
    {
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (create && !File.Exists(path))
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode })) { }
        if (File.Exists(path)) File.SetUnixFileMode(path, mode);
    }
}
