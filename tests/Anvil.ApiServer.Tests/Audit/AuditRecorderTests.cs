using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Audit;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Endpoints;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Tests.Audit;

public sealed class AuditRecorderTests
{
    private static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 6, 30, 0, 123, TimeSpan.Zero);

    private static DefaultHttpContext Request(string method, string path, string query = "", string? body = null, string contentType = "application/json")
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Method = method;
        ctx.Request.Path = path;
        ctx.Request.QueryString = new QueryString(query);
        ctx.Request.Headers.UserAgent = "kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd";
        ctx.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:10.0.0.7");
        if (body != null)
        {
            ctx.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            ctx.Request.ContentType = contentType;
        }
        ctx.Response.Body = new MemoryStream();
        return ctx;
    }

    /// <summary>Runs a request through a recorder the way ApiServerHost does and returns the log lines.</summary>
    private static async Task<List<JsonObject>> RunAsync(AuditPolicy policy, HttpContext ctx, Func<HttpContext, Task> handler, UserInfo? user = null, FixedTime? time = null)
    {
        var log = new MemoryStream();
        time ??= new FixedTime(T0);
        var recorder = new AuditRecorder(policy, new AuditBackend(new StreamAuditLogWriter(log)), time);
        await recorder.ServeAsync(ctx, async () =>
        {
            try
            {
                if (user == null) throw StatusError.Unauthorized();
                var path = ctx.Request.Path.Value!;
                var info = RequestInfo.Parse(ctx.Request.Method, path, ctx.Request.Query.ContainsKey("watch"));
                AuditContext.Of(ctx)!.Authenticated(user, info);
                AuditContext.Of(ctx)!.Authorized(new AuthorizationDecision(Decision.Allow, ""));
                time.Now = T0.AddMilliseconds(5.5);
                await handler(ctx);
            }
            catch (StatusError e)
            {
                await ResponseWriter.WriteErrorAsync(ctx, e);
            }
        });
        await recorder.DisposeAsync();
        return Encoding.UTF8.GetString(log.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }

    private static AuditPolicy Level(string level, string omit = "[RequestReceived]") =>
        AuditPolicy.Parse($"apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: {omit}\nrules: [{{level: {level}}}]\n");

    [Fact]
    public async Task ListPods_IsOneMetadataEvent_WithUpstreamsFields()
    {
        var ctx = Request("GET", "/api/v1/namespaces/default/pods", "?limit=500");
        ctx.Request.Headers["Audit-ID"] = "6c1bb5c8-7b2e-4b4f-9d36-2f0cdb8d1f5e";
        var events = await RunAsync(AuditPolicy.Default, ctx,
            c => ResponseWriter.WriteObjectAsync(c, 200, new JsonObject { ["kind"] = "PodList", ["items"] = new JsonArray() }), Admin);

        var e = Assert.Single(events);
        Assert.Equal("""
            {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c1bb5c8-7b2e-4b4f-9d36-2f0cdb8d1f5e","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?limit=500","verb":"list","user":{"username":"admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-21T06:30:00.123000Z","stageTimestamp":"2026-11-21T06:30:00.128500Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}
            """, e.ToJsonString());
        Assert.Equal("6c1bb5c8-7b2e-4b4f-9d36-2f0cdb8d1f5e", ctx.Response.Headers["Audit-Id"].ToString());
    }

    [Fact]
    public async Task AuditId_IsANewUuid_AnsweredInTheHeader()
    {
        var ctx = Request("GET", "/version");
        var events = await RunAsync(AuditPolicy.Default, ctx, c => ResponseWriter.WriteBytesAsync(c, 200, "{}"u8.ToArray(), "application/json"), Admin);
        var id = ctx.Response.Headers["Audit-Id"].ToString();
        Assert.True(Guid.TryParse(id, out _), id);
        Assert.Equal(id, events[0]["auditID"]!.ToString());
        // Non-resource requests: the lower-case HTTP method, no objectRef.
        Assert.Equal("get", events[0]["verb"]!.ToString());
        Assert.Null(events[0]["objectRef"]);
    }

    [Fact]
    public async Task RequestResponseLevel_LogsBothObjects_AndTheCreatedName()
    {
        var body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1","managedFields":[{"manager":"x"}]},"data":{"a":"1"}}""";
        var ctx = Request("POST", "/api/v1/namespaces/ns/configmaps", "?fieldManager=kubectl-create", body);
        var policy = AuditPolicy.Parse("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitManagedFields: true\nrules: [{level: RequestResponse}]\n");
        var events = await RunAsync(policy, ctx, async c =>
        {
            var obj = RequestBody.DecodeObject(await RequestBody.ReadAsync(c.Request, default), c.Request.ContentType);
            obj["metadata"]!["uid"] = "u1";
            await ResponseWriter.WriteObjectAsync(c, 201, obj);
        }, Admin);

        // No omitStages in this policy: RequestReceived too, without the response.
        Assert.Equal(["RequestReceived", "ResponseComplete"], events.Select(x => x["stage"]!.ToString()).ToArray());
        Assert.Null(events[0]["responseStatus"]);
        var e = events[1];
        Assert.Equal("""{"resource":"configmaps","namespace":"ns","name":"cm1","apiVersion":"v1"}""", e["objectRef"]!.ToJsonString());
        Assert.Equal("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"a":"1"}}""", e["requestObject"]!.ToJsonString());
        Assert.Equal("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1","uid":"u1"},"data":{"a":"1"}}""", e["responseObject"]!.ToJsonString());
        Assert.Equal("""{"metadata":{},"code":201}""", e["responseStatus"]!.ToJsonString());
    }

    [Theory]
    [InlineData("/api/v1/namespaces/ns/configmaps", """{"data":{"name":"d"},"metadata":{"labels":{"name":"l"},"name":"cm1","namespace":"other"}}""", "application/json",
        """{"resource":"configmaps","namespace":"ns","name":"cm1","apiVersion":"v1"}""")]
    [InlineData("/api/v1/configmaps", """{"metadata":{"namespace":"b","name":"a","name":"cm2"}}""", "application/json",
        """{"resource":"configmaps","namespace":"b","name":"cm2","apiVersion":"v1"}""")]
    [InlineData("/api/v1/namespaces", """{"metadata":{"name":"team","namespace":"x"}}""", "application/json; charset=utf-8",
        """{"resource":"namespaces","name":"team","apiVersion":"v1"}""")]
    [InlineData("/api/v1/namespaces/ns/configmaps", """{"metadata":{"generateName":"cm-"}}""", "application/json",
        """{"resource":"configmaps","namespace":"ns","apiVersion":"v1"}""")]
    [InlineData("/api/v1/namespaces/ns/configmaps", """{"metadata":{"name":"cm1"}""", "application/json",
        """{"resource":"configmaps","namespace":"ns","apiVersion":"v1"}""")]
    [InlineData("/api/v1/namespaces/ns/configmaps", "metadata:\n  name: cm3\n", "application/yaml",
        """{"resource":"configmaps","namespace":"ns","name":"cm3","apiVersion":"v1"}""")]
    public async Task MetadataLevel_CreateNamesItsObjectFromTheBody(string path, string body, string contentType, string objectRef)
    {
        var ctx = Request("POST", path, "", body, contentType);
        var events = await RunAsync(Level("Metadata"), ctx, async c =>
        {
            await RequestBody.ReadAsync(c.Request, default);
            await ResponseWriter.WriteObjectAsync(c, 201, new JsonObject { ["kind"] = "ConfigMap" });
        }, Admin);

        Assert.Equal(objectRef, Assert.Single(events)["objectRef"]!.ToJsonString());
        Assert.Null(events[0]["requestObject"]);
    }

    [Fact]
    public async Task RequestLevel_LogsTheRequestObjectOnly()
    {
        var ctx = Request("POST", "/api/v1/namespaces/ns/configmaps", "", """{"metadata":{"name":"cm1"}}""");
        var events = await RunAsync(Level("Request"), ctx, async c =>
        {
            await RequestBody.ReadAsync(c.Request, default);
            await ResponseWriter.WriteObjectAsync(c, 201, new JsonObject { ["kind"] = "ConfigMap" });
        }, Admin);
        Assert.NotNull(events[0]["requestObject"]);
        Assert.Null(events[0]["responseObject"]);
    }

    [Theory]
    [InlineData("POST", "/api/v1/namespaces/ns/secrets")]
    [InlineData("PUT", "/api/v1/namespaces/ns/secrets/s1")]
    [InlineData("POST", "/apis/authentication.k8s.io/v1/tokenreviews")]
    [InlineData("POST", "/api/v1/namespaces/ns/serviceaccounts/default/token")]
    public async Task CredentialBodies_AreNeverLogged_EvenAtRequestResponse(string method, string path)
    {
        const string value = "c3VwZXItc2VjcmV0LXZhbHVl";
        var body = $$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"password":"{{{value}}}"},"spec":{"token":"{{{value}}}"}}""";
        var ctx = Request(method, path, "", body);
        var events = await RunAsync(Level("RequestResponse", "[]"), ctx, async c =>
        {
            var obj = RequestBody.DecodeObject(await RequestBody.ReadAsync(c.Request, default), c.Request.ContentType);
            await ResponseWriter.WriteObjectAsync(c, 201, obj);
        }, Admin);
        Assert.Equal(["RequestReceived", "ResponseComplete"], events.Select(e => e["stage"]!.ToString()).ToArray());
        foreach (var e in events)
        {
            Assert.Equal("Metadata", e["level"]!.ToString());
            Assert.Null(e["requestObject"]);
            Assert.Null(e["responseObject"]);
            Assert.DoesNotContain(value, e.ToJsonString());
        }
    }

    [Fact]
    public async Task Unauthenticated_IsLoggedWithAnEmptyUser_AndTheStatus()
    {
        var ctx = Request("GET", "/api/v1/namespaces/default/pods");
        var events = await RunAsync(AuditPolicy.Default, ctx, _ => Task.CompletedTask, user: null);
        var e = Assert.Single(events);
        Assert.Equal("{}", e["user"]!.ToJsonString());
        Assert.Equal("""{"metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""", e["responseStatus"]!.ToJsonString());
        Assert.Null(e["annotations"]);
    }

    [Fact]
    public async Task Errors_CarryTheStatusMessageAndReason()
    {
        var ctx = Request("GET", "/api/v1/namespaces/default/pods/missing");
        var events = await RunAsync(AuditPolicy.Default, ctx, _ => throw StatusError.NotFound(new Anvil.Machinery.Meta.GroupResource("", "pods"), "missing"), Admin);
        Assert.Equal("""{"metadata":{},"status":"Failure","message":"pods \"missing\" not found","reason":"NotFound","details":{"name":"missing","kind":"pods"},"code":404}""",
            Anvil.Machinery.Serialization.KubeJson.ToText(events[0]["responseStatus"]!));
    }

    [Fact]
    public async Task Watch_GivesResponseStartedAndResponseComplete()
    {
        var ctx = Request("GET", "/api/v1/namespaces/default/pods", "?watch=true");
        var started = new TaskCompletionSource();
        ctx.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(new StartableResponse(ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!));
        var events = await RunAsync(AuditPolicy.Default, ctx, async c =>
        {
            c.Response.StatusCode = 200;
            await ((StartableResponse)c.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!).StartAsync();
            await c.Response.Body.WriteAsync("{\"type\":\"ADDED\"}\n"u8.ToArray());
        }, Admin);
        Assert.Equal([("ResponseStarted", "watch"), ("ResponseComplete", "watch")],
            events.Select(e => (e["stage"]!.ToString(), e["verb"]!.ToString())).ToArray());
        Assert.Equal(events[0]["auditID"]!.ToString(), events[1]["auditID"]!.ToString());
    }

    [Fact]
    public async Task LevelNone_WritesNothing()
    {
        var ctx = Request("GET", "/api/v1/pods");
        var events = await RunAsync(Level("None"), ctx, c => ResponseWriter.WriteObjectAsync(c, 200, new JsonObject()), Admin);
        Assert.Empty(events);
    }

    /// <summary>DefaultHttpContext never "starts" a response; this one runs the OnStarting callbacks as Kestrel does.</summary>
    private sealed class StartableResponse(Microsoft.AspNetCore.Http.Features.IHttpResponseFeature inner) : Microsoft.AspNetCore.Http.Features.IHttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

        public int StatusCode { get => inner.StatusCode; set => inner.StatusCode = value; }
        public string? ReasonPhrase { get => inner.ReasonPhrase; set => inner.ReasonPhrase = value; }
        public IHeaderDictionary Headers { get => inner.Headers; set => inner.Headers = value; }
        [Obsolete("Use IHttpResponseBodyFeature.Stream")]
        public Stream Body { get => inner.Body; set => inner.Body = value; }
        public bool HasStarted { get; private set; }
        public void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));
        public void OnCompleted(Func<object, Task> callback, object state) { }

        public async Task StartAsync()
        {
            HasStarted = true;
            for (var i = _starting.Count - 1; i >= 0; i--) await _starting[i].Callback(_starting[i].State);
        }
    }
}
