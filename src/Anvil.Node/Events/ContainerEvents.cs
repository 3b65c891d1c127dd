using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client.Events;

namespace Anvil.Node.Events;

/// <summary>
/// The kubelet's events about a pod's containers (involvedObject.fieldPath <c>spec.containers{name}</c>), with
/// its texts: Pulling/Pulled, Created, Started, Killing, and one Warning each time a container starts waiting for
/// a new reason (BackOff, ErrImageNeverPull, Failed) — the kubelet repeats those on each sync, which the recorder
/// folds into a count, so once per entry gives the same "(xN over …)" a user sees for restarts.
/// </summary>
internal sealed class ContainerEvents(EventRecorder? events)
{
    private readonly Dictionary<string, string> _waiting = [];

    /// <summary>Before a start, the image step: pull policy Always pulls (here: resolves) every time.</summary>
    public void Pulled(JsonObject pod, string container, string image, string pullPolicy, TimeSpan took, long size)
    {
        if (pullPolicy == "Always")
        {
            Record(pod, container, EventRecorder.Normal, "Pulling", $"Pulling image \"{image}\"");
            var d = GoDuration(took);
            Record(pod, container, EventRecorder.Normal, "Pulled",
                $"Successfully pulled image \"{image}\" in {d} ({d} including waiting). Image size: {size.ToString(CultureInfo.InvariantCulture)} bytes.");
        }
        else
        {
            Record(pod, container, EventRecorder.Normal, "Pulled", $"Container image \"{image}\" already present on machine");
        }
    }

    public void Created(JsonObject pod, string container)
    {
        _waiting.Remove(container);
        Record(pod, container, EventRecorder.Normal, "Created", $"Created container: {container}");
    }

    public void Started(JsonObject pod, string container) =>
        Record(pod, container, EventRecorder.Normal, "Started", $"Started container {container}");

    public void Killing(JsonObject pod, string container) =>
        Record(pod, container, EventRecorder.Normal, "Killing", $"Stopping container {container}");

    /// <summary>A container that cannot start for <paramref name="reason"/>: the kubelet's Warning, once per entry into it.</summary>
    public void Waiting(JsonObject pod, string container, string reason, string message, string image = "")
    {
        // A failed pull is an attempt each time (Pulling, then its failure), as the kubelet records every one.
        if (reason == "ErrImagePull")
        {
            _waiting[container] = reason;
            Record(pod, container, EventRecorder.Normal, "Pulling", $"Pulling image \"{image}\"");
            Record(pod, container, EventRecorder.Warning, "Failed", $"Failed to pull image \"{image}\": {message}");
            Record(pod, container, EventRecorder.Warning, "Failed", "Error: ErrImagePull");
            return;
        }
        if (_waiting.TryGetValue(container, out var last) && last == reason) return;
        _waiting[container] = reason;
        switch (reason)
        {
            case "CrashLoopBackOff":
                Record(pod, container, EventRecorder.Warning, "BackOff",
                    $"Back-off restarting failed container {container} in pod {Str(pod["metadata"]?["name"])}_{Str(pod["metadata"]?["namespace"])}({Str(pod["metadata"]?["uid"])})");
                break;
            case "ImagePullBackOff":
                Record(pod, container, EventRecorder.Normal, "BackOff", message);
                Record(pod, container, EventRecorder.Warning, "Failed", "Error: ImagePullBackOff");
                break;
            case "ErrImageNeverPull":
                Record(pod, container, EventRecorder.Warning, "ErrImageNeverPull", message);
                Record(pod, container, EventRecorder.Warning, "Failed", "Error: ErrImageNeverPull");
                break;
            case "CreateContainerConfigError" or "CreateContainerError":
                Record(pod, container, EventRecorder.Warning, "Failed", $"Error: {message}");
                break;
        }
    }

    /// <summary>Go's time.Duration text of a duration truncated to milliseconds (5ms, 1.234s, 2m3.5s).</summary>
    public static string GoDuration(TimeSpan t)
    {
        var ms = (long)t.TotalMilliseconds;
        if (ms <= 0) return "0s";
        if (ms < 1000) return $"{ms}ms";
        var minutes = ms / 60000;
        var seconds = (ms % 60000 / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
        return minutes > 0 ? $"{minutes}m{seconds}s" : $"{seconds}s";
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private void Record(JsonObject pod, string container, string type, string reason, string message)
    {
        if (events == null) return;
        var involved = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = pod["metadata"]?.DeepClone() };
        events.Event(involved, $"{FieldOf(pod, container)}{{{container}}}", type, reason, message);
    }

    private static string FieldOf(JsonObject pod, string container)
    {
        foreach (var field in new[] { "initContainers", "ephemeralContainers" })
            if ((pod["spec"]?[field] as JsonArray ?? []).OfType<JsonObject>().Any(c => Str(c["name"]) == container)) return "spec." + field;
        return "spec.containers";
    }
}
