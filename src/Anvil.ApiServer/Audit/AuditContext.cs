using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Endpoints;
using Anvil.Machinery.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// The audit state of one request, kept in its HttpContext features. The request path reports what it
/// learns (<see cref="Authenticated"/>, <see cref="Authorized"/>, <see cref="Impersonated"/>); the recorder
/// writes the events.
/// </summary>
public sealed class AuditContext
{
    private readonly AuditRecorder _recorder;
    private readonly HttpContext _http;
    private readonly SortedDictionary<string, string> _annotations = new(StringComparer.Ordinal);
    private AuditPolicyDecision? _decision;

    internal AuditContext(AuditRecorder recorder, HttpContext http, string auditId, DateTimeOffset received, RequestInfo info)
    {
        _recorder = recorder;
        _http = http;
        AuditId = auditId;
        RequestReceived = received;
        Info = info;
    }

    /// <summary>The audit context of a request, or null when auditing is off.</summary>
    public static AuditContext? Of(HttpContext ctx) => ctx.Features.Get<AuditContext>();

    public string AuditId { get; }

    public DateTimeOffset RequestReceived { get; }

    /// <summary>The authenticated user; null until authentication succeeded.</summary>
    public UserInfo? User { get; private set; }

    /// <summary>Whom the request acts as, when it impersonates.</summary>
    public UserInfo? ImpersonatedUser { get; private set; }

    public RequestInfo Info { get; private set; }

    /// <summary>The policy's decision; evaluated once the user is known (or at the end for unauthenticated requests).</summary>
    public AuditPolicyDecision Decision => _decision ??= _recorder.Policy.Evaluate(User, Info);

    internal ResponseCapture? Capture { get; set; }

    internal bool LongRunning { get; set; }

    /// <summary>The request is authenticated: the policy is evaluated now, and RequestReceived written if it asks for it.</summary>
    public void Authenticated(UserInfo user, RequestInfo info)
    {
        User = user;
        Info = info;
        _decision = null;
        if (Decision.Level != AuditLevel.None && !Decision.OmitStages.Contains(AuditStage.RequestReceived))
            _recorder.Emit(Build(AuditStage.RequestReceived));
    }

    public void Impersonated(UserInfo user) => ImpersonatedUser = user;

    /// <summary>Records the authorizer's answer as upstream's <c>authorization.k8s.io/*</c> annotations.</summary>
    public void Authorized(AuthorizationDecision decision)
    {
        _annotations["authorization.k8s.io/decision"] = decision.Allowed ? "allow" : "forbid";
        _annotations["authorization.k8s.io/reason"] = decision.Reason;
    }

    public void AddAnnotation(string key, string value) => _annotations.TryAdd(key, value);

    /// <summary>Whether the response body should be kept for the event.</summary>
    internal bool WantsResponseBody() => !LongRunning && Decision.Level == AuditLevel.RequestResponse;

    internal void ResponseStarted()
    {
        if (Decision.Level != AuditLevel.None && !Decision.OmitStages.Contains(AuditStage.ResponseStarted))
            _recorder.Emit(Build(AuditStage.ResponseStarted));
    }

    internal void ResponseComplete()
    {
        if (Decision.Level != AuditLevel.None && !Decision.OmitStages.Contains(AuditStage.ResponseComplete))
            _recorder.Emit(Build(AuditStage.ResponseComplete));
    }

    /// <summary>The audit.k8s.io/v1 Event for a stage, with fields in upstream's order.</summary>
    internal JsonObject Build(AuditStage stage)
    {
        var level = Decision.Level;
        var e = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "audit.k8s.io/v1",
            ["level"] = level.ToString(),
            ["auditID"] = AuditId,
            ["stage"] = stage.ToString(),
            ["requestURI"] = RequestUri(),
            ["verb"] = Info.Verb,
            ["user"] = UserJson(User),
        };
        if (ImpersonatedUser != null) e["impersonatedUser"] = UserJson(ImpersonatedUser);
        var ips = SourceIps();
        if (ips.Count > 0) e["sourceIPs"] = new JsonArray(ips.Select(ip => (JsonNode)ip).ToArray());
        var agent = _http.Request.Headers.UserAgent.ToString();
        if (agent.Length > 0) e["userAgent"] = agent;

        JsonNode? requestObject = null;
        (string? Name, string? Namespace) named = default;
        var body = RequestBody.Captured(_http);
        if (body is { Length: > 0 } && Info.IsResourceRequest)
        {
            if (level >= AuditLevel.Request) requestObject = Decode(body, _http.Request.ContentType);
            else if (Info.Verb == "create" && Info.Name.Length == 0) named = CreatedName(body, _http.Request.ContentType);
        }
        if (requestObject?["metadata"] is JsonObject meta)
            named = (meta["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null,
                meta["namespace"] is JsonValue m && m.TryGetValue<string>(out var t) ? t : null);
        if (Info.IsResourceRequest) e["objectRef"] = ObjectRef(named.Name, named.Namespace);
        if (stage != AuditStage.RequestReceived) e["responseStatus"] = ResponseStatus();
        if (level >= AuditLevel.Request && requestObject != null) e["requestObject"] = Trim(requestObject);
        if (stage == AuditStage.ResponseComplete && level == AuditLevel.RequestResponse && Capture?.Captured is { } response
            && Decode(response, _http.Response.ContentType) is { } responseObject)
            e["responseObject"] = Trim(responseObject);
        e["requestReceivedTimestamp"] = MicroTime(RequestReceived);
        e["stageTimestamp"] = MicroTime(stage == AuditStage.RequestReceived ? RequestReceived : _recorder.Time.GetUtcNow());
        if (_annotations.Count > 0)
        {
            var a = new JsonObject();
            foreach (var (k, v) in _annotations) a[k] = v;
            e["annotations"] = a;
        }
        return e;
    }

    private string RequestUri()
    {
        var raw = _http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(raw) ? _http.Request.Path + _http.Request.QueryString : raw;
    }

    private static JsonObject UserJson(UserInfo? user)
    {
        var u = new JsonObject();
        if (user == null) return u;
        if (user.Name.Length > 0) u["username"] = user.Name;
        if (user.Uid.Length > 0) u["uid"] = user.Uid;
        if (user.Groups.Count > 0) u["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode)g).ToArray());
        if (user.Extra.Count > 0)
        {
            var extra = new JsonObject();
            foreach (var (k, v) in user.Extra.OrderBy(p => p.Key, StringComparer.Ordinal))
                extra[k] = new JsonArray(v.Select(x => (JsonNode)x).ToArray());
            u["extra"] = extra;
        }
        return u;
    }

    /// <summary>As upstream's utilnet.SourceIPs: X-Forwarded-For entries, X-Real-Ip, then the peer address.</summary>
    private List<string> SourceIps()
    {
        var ips = new List<string>();
        foreach (var part in _http.Request.Headers["X-Forwarded-For"].ToString().Split(','))
            if (IPAddress.TryParse(part.Trim(), out var ip)) ips.Add(ip.ToString());
        if (IPAddress.TryParse(_http.Request.Headers["X-Real-Ip"].ToString().Trim(), out var real) && !ips.Contains(real.ToString()))
            ips.Add(real.ToString());
        if (_http.Connection.RemoteIpAddress is { } remote)
        {
            var r = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
            if (ips.Count == 0 || ips[^1] != r) ips.Add(r);
        }
        return ips;
    }

    private JsonObject ObjectRef(string? bodyName, string? bodyNamespace)
    {
        var name = Info.Name;
        var ns = Info.Namespace;
        // As upstream's LogRequestObject: a create names its object in the body.
        if (name.Length == 0 && bodyName != null) name = bodyName;
        if (ns.Length == 0 && Info.Resource != "namespaces" && bodyNamespace != null) ns = bodyNamespace;
        var o = new JsonObject { ["resource"] = Info.Resource };
        if (ns.Length > 0) o["namespace"] = ns;
        if (name.Length > 0) o["name"] = name;
        if (Info.Group.Length > 0) o["apiGroup"] = Info.Group;
        if (Info.Version.Length > 0) o["apiVersion"] = Info.Version;
        if (Info.Subresource.Length > 0) o["subresource"] = Info.Subresource;
        return o;
    }

    private JsonObject ResponseStatus()
    {
        var status = new JsonObject { ["metadata"] = new JsonObject() };
        var code = _http.Response.StatusCode;
        if (code >= 400 && Capture?.Captured is { } body && Decode(body, _http.Response.ContentType) is JsonObject s
            && s["kind"]?.ToString() == "Status")
        {
            foreach (var field in new[] { "status", "message", "reason", "details" })
                if (s[field] is { } v) status[field] = v.DeepClone();
        }
        status["code"] = code;
        return status;
    }

    private JsonNode Trim(JsonNode node)
    {
        if (!Decision.OmitManagedFields || node is not JsonObject o) return node;
        (o["metadata"] as JsonObject)?.Remove("managedFields");
        if (o["items"] is JsonArray items)
            foreach (var item in items)
                (item?["metadata"] as JsonObject)?.Remove("managedFields");
        return o;
    }

    /// <summary>
    /// metadata.name and metadata.namespace of a create's body. A JSON body is only scanned (at Metadata level this
    /// is all the event needs from it); other media types are decoded.
    /// </summary>
    private static (string? Name, string? Namespace) CreatedName(byte[] body, string? contentType)
    {
        var media = RequestBody.MediaType(contentType);
        if (media.Length == 0 || media == "application/json")
        {
            try
            {
                return ScanMetadata(body);
            }
            catch (JsonException)
            {
                return default;
            }
        }
        return Decode(body, contentType) is JsonObject { } o && o["metadata"] is JsonObject meta
            ? (meta["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null,
               meta["namespace"] is JsonValue m && m.TryGetValue<string>(out var t) ? t : null)
            : default;
    }

    /// <summary>String values of top-level metadata.name/namespace; the last of repeated keys wins, as Go's decoder.</summary>
    private static (string? Name, string? Namespace) ScanMetadata(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = KubeJson.DocumentOptions.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
        (string? Name, string? Namespace) found = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
            {
                if (isMetadata) found = default;
                reader.Skip();
                continue;
            }
            found = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("name"u8) ? 1 : reader.ValueTextEquals("namespace"u8) ? 2 : 0;
                reader.Read();
                if (field == 0) reader.Skip();
                else
                {
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (field == 1) found.Name = value;
                    else found.Namespace = value;
                    reader.Skip();
                }
            }
        }
        return found;
    }

    /// <summary>A body as JSON, or null when it is not JSON, YAML or Kubernetes protobuf (then it is not logged).</summary>
    private static JsonNode? Decode(byte[] body, string? contentType)
    {
        var media = RequestBody.MediaType(contentType);
        try
        {
            if (media.EndsWith("yaml", StringComparison.Ordinal)) return Yaml.ToJson(Encoding.UTF8.GetString(body));
            if (media == "application/vnd.kubernetes.protobuf") return Anvil.Machinery.Protobuf.KubeProtobuf.Decode(body);
            if (media.Length == 0 || media.EndsWith("json", StringComparison.Ordinal))
                return JsonNode.Parse(body, KubeJson.NodeOptions, KubeJson.DocumentOptions);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException
            or Anvil.Machinery.Errors.StatusError)
        {
        }
        return null;
    }

    /// <summary>RFC 3339 with microseconds, as metav1.MicroTime.</summary>
    internal static string MicroTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
