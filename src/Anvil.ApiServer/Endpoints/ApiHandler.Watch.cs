using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Serialization;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>How often an idle watch with allowWatchBookmarks gets a BOOKMARK.</summary>
    public static TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Serves a watch as held-open chunked JSON: one <c>{"type":…,"object":…}</c> per line until
    /// timeoutSeconds, client disconnect or the store ends it. A too-old resourceVersion is an ERROR
    /// event carrying a 410 Expired Status, as kube-apiserver sends it.
    /// </summary>
    private async Task WatchAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, CancellationToken requestAborted)
    {
        RequireVerb(def, "watch", "GET");
        var format = Output(ctx);
        var q = ctx.Request.Query;
        var predicate = BuildPredicate(ctx, def);
        if (info.Name.Length > 0)
        {
            // GET …/pods/x?watch=true watches one object: a metadata.name field selector.
            var name = info.Name;
            var inner = predicate;
            predicate = o => Anvil.Machinery.Meta.ObjectMeta.Name(o) == name && (inner == null || inner(o));
        }
        var timeout = TimeSpan.FromSeconds(1800 + Random.Shared.Next(1800));
        var timeoutText = q["timeoutSeconds"].ToString();
        if (timeoutText.Length > 0)
        {
            if (!long.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                throw StatusError.BadRequest($"timeoutSeconds: Invalid value: \"{timeoutText}\": must be a non-negative integer");
            timeout = TimeSpan.FromSeconds(Math.Min(seconds, 24 * 3600));
        }
        bool? sendInitial = q["sendInitialEvents"].ToString() switch { "true" => true, "false" => false, _ => null };
        var bookmarks = q["allowWatchBookmarks"].ToString() == "true";
        var includeObject = format.Shape == OutputShape.Table ? IncludeObject(ctx) : "";

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        cts.CancelAfter(timeout);
        var ct = cts.Token;

        IAsyncEnumerable<ApiWatchEvent>? events = null;
        StatusError? startError = null;
        try
        {
            events = await _store.WatchAsync(def, ns, new WatchOptions
            {
                Predicate = predicate,
                ResourceVersion = q["resourceVersion"].ToString(),
                SendInitialEvents = sendInitial,
                AllowBookmarks = bookmarks,
            }, ct).ConfigureAwait(false);
        }
        catch (StatusError e) when (e.Code == 410)
        {
            startError = e;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await ctx.Response.StartAsync(ct).ConfigureAwait(false);
        // Send the headers now: clients (kubectl wait) start their own timers only once the watch is open.
        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        var writer = new WatchWriter(ctx.Response, def, format, includeObject, _time);
        if (startError != null)
        {
            await writer.WriteAsync(ApiWatchEvent.Error, startError.ToStatus(), CancellationToken.None).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }

        // A pump moves store events into a channel so the writer can wake for bookmarks while idle.
        var channel = Channel.CreateBounded<ApiWatchEvent>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var ev in events!.WithCancellation(ct).ConfigureAwait(false))
                    await channel.Writer.WriteAsync(ev, ct).ConfigureAwait(false);
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e is OperationCanceledException ? null : e);
            }
        }, CancellationToken.None);

        long lastRevision = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (bookmarks) idle.CancelAfter(BookmarkInterval);
                bool ready;
                try
                {
                    ready = await channel.Reader.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    if (lastRevision > 0)
                    {
                        await writer.WriteAsync(ApiWatchEvent.Bookmark, ResourceStore.BookmarkObject(def, lastRevision), ct).ConfigureAwait(false);
                        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    }
                    continue;
                }
                if (!ready) break;
                // At most a bounded batch between flushes, so a steady stream still reaches the client.
                for (var n = 0; n < 64 && channel.Reader.TryRead(out var ev); n++)
                {
                    if (ev.Revision > lastRevision) lastRevision = ev.Revision;
                    if (ev.Type == ApiWatchEvent.Progress) continue;
                    if (ev.Type == ApiWatchEvent.Bookmark && !bookmarks) continue;
                    await writer.WriteAsync(ev, ct).ConfigureAwait(false);
                }
                if (lastRevision == 0) lastRevision = _store.CurrentRevision;
                // One flush per batch of events: under load many events share a frame (and a TLS record).
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout or client gone: the watch simply ends.
        }
        catch (IOException)
        {
        }
        finally
        {
            cts.Cancel();
            try { await pump.ConfigureAwait(false); } catch (Exception) { }
        }
    }

    /// <summary>
    /// Encodes watch events, as objects or as one-row Tables (column definitions in the first only). The caller
    /// flushes. An object still in its stored form is written as stored bytes with the resourceVersion spliced in.
    /// </summary>
    private sealed class WatchWriter(HttpResponse response, ResourceDefinition def, OutputFormat format, string includeObject, TimeProvider time)
    {
        private bool _first = true;
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);

        public async Task WriteAsync(ApiWatchEvent ev, CancellationToken ct)
        {
            if (format.Shape == OutputShape.Object && ev.StoredJson is { Length: > 0 } stored)
            {
                _buffer.ResetWrittenCount();
                _buffer.Write("{\"type\":\""u8);
                _buffer.Write(System.Text.Encoding.UTF8.GetBytes(ev.Type));
                _buffer.Write("\",\"object\":"u8);
                if (StoredJson.TryWriteWithResourceVersion(stored.Span, ev.Revision, _buffer))
                {
                    _buffer.Write("}\n"u8);
                    await response.Body.WriteAsync(_buffer.WrittenMemory, ct).ConfigureAwait(false);
                    return;
                }
            }
            await WriteAsync(ev.Type, ev.Object, ct).ConfigureAwait(false);
        }

        public async Task WriteAsync(string type, JsonObject obj, CancellationToken ct)
        {
            JsonNode payload = obj;
            if (format.Shape == OutputShape.Table && type is ApiWatchEvent.Added or ApiWatchEvent.Modified or ApiWatchEvent.Deleted)
            {
                payload = TableBuilder.Build(def, [obj], includeObject, format.TableVersion,
                    Anvil.Machinery.Meta.ObjectMeta.ResourceVersion(obj), "", _first, time.GetUtcNow());
                _first = false;
            }
            else if (format.Shape == OutputShape.PartialObjectMetadata && type is not ApiWatchEvent.Error)
            {
                payload = TableBuilder.PartialObjectMetadata(obj, format.TableVersion);
            }
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, KubeJson.WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WritePropertyName("object");
                payload.WriteTo(w, KubeJson.Options);
                w.WriteEndObject();
            }
            ms.WriteByte((byte)'\n');
            await response.Body.WriteAsync(ms.GetBuffer().AsMemory(0, (int)ms.Length), ct).ConfigureAwait(false);
        }
    }
}
