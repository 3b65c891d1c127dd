using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.Job;

/// <summary>
/// batch/v1 JobStatus as the controller edits it, written back with Go's omitempty rules (counters at 0
/// and empty lists left out; ready, terminating and uncountedTerminatedPods always present).
/// </summary>
internal sealed class JobStatus
{
    public List<JsonObject> Conditions { get; } = [];
    public string? StartTime { get; set; }
    public string? CompletionTime { get; set; }
    public int Active { get; set; }
    public int Succeeded { get; set; }
    public int Failed { get; set; }
    public int Terminating { get; set; }
    public int Ready { get; set; }
    public List<string> UncountedSucceeded { get; set; } = [];
    public List<string> UncountedFailed { get; set; } = [];
    public string CompletedIndexes { get; set; } = "";
    private JsonObject _rest = new();

    public static JobStatus Of(JsonObject job)
    {
        var s = job["status"] as JsonObject ?? new JsonObject();
        var status = new JobStatus
        {
            StartTime = Str(s["startTime"]),
            CompletionTime = Str(s["completionTime"]),
            Active = (int)(Int(s["active"]) ?? 0),
            Succeeded = (int)(Int(s["succeeded"]) ?? 0),
            Failed = (int)(Int(s["failed"]) ?? 0),
            Terminating = (int)(Int(s["terminating"]) ?? 0),
            Ready = (int)(Int(s["ready"]) ?? 0),
            CompletedIndexes = Str(s["completedIndexes"]) ?? "",
            UncountedSucceeded = Uids(s["uncountedTerminatedPods"]?["succeeded"]),
            UncountedFailed = Uids(s["uncountedTerminatedPods"]?["failed"]),
            _rest = (JsonObject)s.DeepClone(),
        };
        status.Conditions.AddRange((s["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()));
        return status;
    }

    private static List<string> Uids(JsonNode? node) => (node as JsonArray ?? []).Select(Str).OfType<string>().ToList();

    public JsonObject ToJson()
    {
        var s = (JsonObject)_rest.DeepClone();
        void Put(string key, JsonNode? value)
        {
            if (value == null) s.Remove(key);
            else s[key] = value;
        }
        Put("conditions", Conditions.Count == 0 ? null : new JsonArray(Conditions.Select(c => (JsonNode)c.DeepClone()).ToArray()));
        Put("startTime", StartTime);
        Put("completionTime", CompletionTime);
        Put("active", Active == 0 ? null : Active);
        Put("succeeded", Succeeded == 0 ? null : Succeeded);
        Put("failed", Failed == 0 ? null : Failed);
        Put("terminating", Terminating);
        Put("ready", Ready);
        Put("completedIndexes", CompletedIndexes.Length == 0 ? null : CompletedIndexes);
        var uncounted = new JsonObject();
        if (UncountedSucceeded.Count > 0) uncounted["succeeded"] = new JsonArray(UncountedSucceeded.Select(u => (JsonNode?)u).ToArray());
        if (UncountedFailed.Count > 0) uncounted["failed"] = new JsonArray(UncountedFailed.Select(u => (JsonNode?)u).ToArray());
        Put("uncountedTerminatedPods", uncounted);
        return s;
    }

    public JsonObject? Condition(string type) => Conditions.FirstOrDefault(c => Str(c["type"]) == type);

    public bool HasTrueCondition(string type) => Condition(type) is { } c && Str(c["status"]) == "True";

    public static JsonObject NewCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var stamp = ObjectMeta.FormatTime(now);
        var c = new JsonObject { ["type"] = type, ["status"] = status, ["lastProbeTime"] = stamp, ["lastTransitionTime"] = stamp };
        if (reason.Length > 0) c["reason"] = reason;
        if (message.Length > 0) c["message"] = message;
        return c;
    }

    /// <summary>ensureJobConditionStatus: updates a condition of the type, or appends it unless its status is False.</summary>
    public bool EnsureCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var existing = Condition(type);
        if (existing != null)
        {
            if (Str(existing["status"]) == status && (Str(existing["reason"]) ?? "") == reason && (Str(existing["message"]) ?? "") == message) return false;
            Conditions[Conditions.IndexOf(existing)] = NewCondition(type, status, reason, message, now);
            return true;
        }
        if (status == "False") return false;
        Conditions.Add(NewCondition(type, status, reason, message, now));
        return true;
    }
}
