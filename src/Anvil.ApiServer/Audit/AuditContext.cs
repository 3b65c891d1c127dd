using System.Buffers;
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
            _recorder.Emit(Serialize(AuditStage.RequestReceived));
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
            _recorder.Emit(Serialize(AuditStage.ResponseStarted));
    }

    internal void ResponseComplete()
    {
        if (Decision.Level != AuditLevel.None && !Decision.OmitStages.Contains(AuditStage.ResponseComplete))
            _recorder.Emit(Serialize(AuditStage.ResponseComplete));
    }

    // One writer per thread: an event is written in place and copied out once, at its final size.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The audit.k8s.io/v1 Event for a stage as one line of JSON (no newline), fields in upstream's order. Written
    /// straight from the request's state: building a JSON tree per event cost more than the rest of auditing.
    /// </summary>
    internal byte[] Serialize(AuditStage stage)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, KubeJson.WriterOptions);
        w.Reset(buffer);
        try
        {
            WriteEvent(w, stage);
            w.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            // A rare large event (a RequestResponse body) must not stay pinned to the thread.
            if (buffer.Capacity > 256 * 1024) t_buffer = null;
        }
    }

    private void WriteEvent(Utf8JsonWriter w, AuditStage stage)
    {
        var level = Decision.Level;
        w.WriteStartObject();
        w.WriteString("kind"u8, "Event"u8);
        w.WriteString("apiVersion"u8, "audit.k8s.io/v1"u8);
        w.WriteString("level"u8, LevelName(level));
        w.WriteString("auditID"u8, AuditId);
        w.WriteString("stage"u8, StageName(stage));
        w.WriteString("requestURI"u8, RequestUri());
        w.WriteString("verb"u8, Info.Verb);
        w.WritePropertyName("user"u8);
        WriteUser(w, User);
        if (ImpersonatedUser != null)
        {
            w.WritePropertyName("impersonatedUser"u8);
            WriteUser(w, ImpersonatedUser);
        }
        WriteSourceIps(w);
        var agent = _http.Request.Headers.UserAgent;
        if (agent.Count > 0 && agent.ToString() is { Length: > 0 } a) w.WriteString("userAgent"u8, a);

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
        if (Info.IsResourceRequest) WriteObjectRef(w, named.Name, named.Namespace);
        if (stage != AuditStage.RequestReceived) WriteResponseStatus(w);
        if (level >= AuditLevel.Request && requestObject != null)
        {
            w.WritePropertyName("requestObject"u8);
            Trim(requestObject).WriteTo(w, KubeJson.Options);
        }
        if (stage == AuditStage.ResponseComplete && level == AuditLevel.RequestResponse && Capture?.Captured is { } response
            && Decode(response, _http.Response.ContentType) is { } responseObject)
        {
            w.WritePropertyName("responseObject"u8);
            Trim(responseObject).WriteTo(w, KubeJson.Options);
        }
        WriteMicroTime(w, "requestReceivedTimestamp"u8, RequestReceived);
        WriteMicroTime(w, "stageTimestamp"u8, stage == AuditStage.RequestReceived ? RequestReceived : _recorder.Time.GetUtcNow());
        if (_annotations.Count > 0)
        {
            w.WriteStartObject("annotations"u8);
            foreach (var (k, v) in _annotations) w.WriteString(k, v);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static ReadOnlySpan<byte> LevelName(AuditLevel level) => level switch
    {
        AuditLevel.Metadata => "Metadata"u8,
        AuditLevel.Request => "Request"u8,
        AuditLevel.RequestResponse => "RequestResponse"u8,
        _ => "None"u8,
    };

    private static ReadOnlySpan<byte> StageName(AuditStage stage) => stage switch
    {
        AuditStage.RequestReceived => "RequestReceived"u8,
        AuditStage.ResponseStarted => "ResponseStarted"u8,
        AuditStage.ResponseComplete => "ResponseComplete"u8,
        _ => "Panic"u8,
    };

    private string RequestUri()
    {
        var raw = _http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(raw) ? _http.Request.Path + _http.Request.QueryString : raw;
    }

    private static void WriteUser(Utf8JsonWriter w, UserInfo? user)
    {
        w.WriteStartObject();
        if (user != null)
        {
            if (user.Name.Length > 0) w.WriteString("username"u8, user.Name);
            if (user.Uid.Length > 0) w.WriteString("uid"u8, user.Uid);
            if (user.Groups.Count > 0)
            {
                w.WriteStartArray("groups"u8);
                foreach (var g in user.Groups) w.WriteStringValue(g);
                w.WriteEndArray();
            }
            if (user.Extra.Count > 0)
            {
                w.WriteStartObject("extra"u8);
                foreach (var (k, v) in user.Extra.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WriteStartArray(k);
                    foreach (var x in v) w.WriteStringValue(x);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();
    }

    /// <summary>As upstream's utilnet.SourceIPs: X-Forwarded-For entries, X-Real-Ip, then the peer address.</summary>
    private void WriteSourceIps(Utf8JsonWriter w)
    {
        var headers = _http.Request.Headers;
        List<string>? ips = null;
        if (headers.TryGetValue("X-Forwarded-For", out var forwarded))
            foreach (var part in forwarded.ToString().Split(','))
                if (IPAddress.TryParse(part.Trim(), out var ip)) (ips ??= []).Add(ip.ToString());
        if (headers.TryGetValue("X-Real-Ip", out var realIp) && IPAddress.TryParse(realIp.ToString().Trim(), out var real)
            && !(ips?.Contains(real.ToString()) ?? false))
            (ips ??= []).Add(real.ToString());
        string? peer = null;
        if (_http.Connection.RemoteIpAddress is { } remote)
        {
            var r = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
            if (ips == null || ips.Count == 0 || ips[^1] != r) peer = r;
        }
        if (ips == null && peer == null) return;
        w.WriteStartArray("sourceIPs"u8);
        if (ips != null) foreach (var ip in ips) w.WriteStringValue(ip);
        if (peer != null) w.WriteStringValue(peer);
        w.WriteEndArray();
    }

    private void WriteObjectRef(Utf8JsonWriter w, string? bodyName, string? bodyNamespace)
    {
        var name = Info.Name;
        var ns = Info.Namespace;
        // As upstream's LogRequestObject: a create names its object in the body.
        if (name.Length == 0 && bodyName != null) name = bodyName;
        if (ns.Length == 0 && Info.Resource != "namespaces" && bodyNamespace != null) ns = bodyNamespace;
        w.WriteStartObject("objectRef"u8);
        w.WriteString("resource"u8, Info.Resource);
        if (ns.Length > 0) w.WriteString("namespace"u8, ns);
        if (name.Length > 0) w.WriteString("name"u8, name);
        if (Info.Group.Length > 0) w.WriteString("apiGroup"u8, Info.Group);
        if (Info.Version.Length > 0) w.WriteString("apiVersion"u8, Info.Version);
        if (Info.Subresource.Length > 0) w.WriteString("subresource"u8, Info.Subresource);
        w.WriteEndObject();
    }

    private static readonly string[] StatusFields = ["status", "message", "reason", "details"];

    private void WriteResponseStatus(Utf8JsonWriter w)
    {
        w.WriteStartObject("responseStatus"u8);
        w.WriteStartObject("metadata"u8);
        w.WriteEndObject();
        var code = _http.Response.StatusCode;
        if (code >= 400 && Capture?.Captured is { } body && Decode(body, _http.Response.ContentType) is JsonObject s
            && s["kind"]?.ToString() == "Status")
        {
            foreach (var field in StatusFields)
                if (s[field] is { } v)
                {
                    w.WritePropertyName(field);
                    v.WriteTo(w, KubeJson.Options);
                }
        }
        w.WriteNumber("code"u8, code);
        w.WriteEndObject();
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

    private const string MicroTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>RFC 3339 with microseconds, as metav1.MicroTime.</summary>
    private static void WriteMicroTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset t)
    {
        Span<char> text = stackalloc char[32];
        if (!t.UtcDateTime.TryFormat(text, out var n, MicroTimeFormat, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("a MicroTime did not fit in 32 characters");
        w.WriteString(name, text[..n]);
    }
}
