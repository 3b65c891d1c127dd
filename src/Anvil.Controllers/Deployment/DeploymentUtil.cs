using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Deployment;

/// <summary>
/// The arithmetic and bookkeeping of pkg/controller/deployment/util: surge and unavailability fenceposts,
/// the pod-template hash, revision and replica annotations, ReplicaSet orderings, proportional scaling,
/// status and conditions. Pure functions over JSON objects; mutators say so in their names.
/// </summary>
public static class DeploymentUtil
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
    public const string RollbackToAnnotation = "deprecated.deployment.rollback.to";
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
    public const string PodTemplateHashLabel = "pod-template-hash";
    public const int MaxRevisionHistoryLengthInChars = 2000;

    public const string FoundNewRSReason = "FoundNewReplicaSet";
    public const string NewReplicaSetReason = "NewReplicaSetCreated";
    public const string NewRSAvailableReason = "NewReplicaSetAvailable";
    public const string RSUpdatedReason = "ReplicaSetUpdated";
    public const string TimedOutReason = "ProgressDeadlineExceeded";
    public const string PausedDeployReason = "DeploymentPaused";
    public const string ResumedDeployReason = "DeploymentResumed";
    public const string FailedRSCreateReason = "ReplicaSetCreateError";
    public const string MinimumReplicasAvailable = "MinimumReplicasAvailable";
    public const string MinimumReplicasUnavailable = "MinimumReplicasUnavailable";

    private static readonly HashSet<string> AnnotationsToSkip =
        [LastAppliedAnnotation, RevisionAnnotation, RevisionHistoryAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation, RollbackToAnnotation];

    // ---- fields

    public static int Replicas(JsonObject? obj) => obj == null ? 0 : (int?)obj["spec"]?["replicas"] ?? 1;
    public static int StatusInt(JsonObject? obj, string field) => (int?)obj?["status"]?[field] ?? 0;
    public static long Generation(JsonObject obj) => (long?)obj["metadata"]?["generation"] ?? 0;
    public static bool IsRollingUpdate(JsonObject d) => (string?)d["spec"]?["strategy"]?["type"] != "Recreate";
    public static bool IsPaused(JsonObject d) => d["spec"]?["paused"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    public static int MinReadySeconds(JsonObject obj) => (int?)obj["spec"]?["minReadySeconds"] ?? 0;

    public static void SetReplicas(JsonObject obj, int replicas)
    {
        if (obj["spec"] is not JsonObject spec) obj["spec"] = spec = new JsonObject();
        spec["replicas"] = replicas;
    }

    public static string Annotation(JsonObject obj, string key) => (string?)obj["metadata"]?["annotations"]?[key] ?? "";

    private static JsonObject Annotations(JsonObject obj)
    {
        var meta = ObjectMeta.Of(obj);
        if (meta["annotations"] is JsonObject a) return a;
        a = new JsonObject();
        meta["annotations"] = a;
        return a;
    }

    // ---- surge and unavailability

    /// <summary>intstr.GetScaledValueFromIntOrPercent: "25%" of 10 is 3 rounding up, 2 rounding down.</summary>
    public static int ScaledValue(JsonNode? intOrPercent, int total, bool roundUp)
    {
        if (intOrPercent is JsonValue v && v.TryGetValue<int>(out var i)) return i;
        var s = (string?)intOrPercent ?? "0";
        if (!s.EndsWith('%') || !int.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            throw new FormatException($"invalid value for IntOrString: invalid value \"{s}\": must be an integer or a percentage");
        var exact = (double)percent * total / 100;
        return (int)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
    }

    /// <summary>Surge rounds up, unavailability down; both zero would deadlock, so unavailability becomes 1.</summary>
    public static (int Surge, int Unavailable) ResolveFenceposts(JsonNode? maxSurge, JsonNode? maxUnavailable, int desired)
    {
        var surge = ScaledValue(maxSurge ?? "25%", desired, true);
        var unavailable = ScaledValue(maxUnavailable ?? "25%", desired, false);
        if (surge == 0 && unavailable == 0) unavailable = 1;
        return (surge, unavailable);
    }

    public static int MaxSurge(JsonObject d)
    {
        if (!IsRollingUpdate(d)) return 0;
        var ru = d["spec"]?["strategy"]?["rollingUpdate"];
        return ResolveFenceposts(ru?["maxSurge"], ru?["maxUnavailable"], Replicas(d)).Surge;
    }

    public static int MaxUnavailable(JsonObject d)
    {
        if (!IsRollingUpdate(d) || Replicas(d) == 0) return 0;
        var ru = d["spec"]?["strategy"]?["rollingUpdate"];
        var unavailable = ResolveFenceposts(ru?["maxSurge"], ru?["maxUnavailable"], Replicas(d)).Unavailable;
        return Math.Min(unavailable, Replicas(d));
    }

    // ---- the pod-template hash

    /// <summary>
    /// The pod-template-hash: FNV-32a over the template's canonical JSON (object keys sorted, no spaces), then
    /// the collision count as 4 little-endian bytes when set, written as decimal and encoded with
    /// rand.SafeEncodeString's alphabet. Upstream hashes a spew dump of the Go struct instead, so values
    /// differ from a real cluster's, but they are stable, change with any template change, and look alike.
    /// </summary>
    public static string ComputeHash(JsonNode? template, int? collisionCount)
    {
        const uint offset = 2166136261, prime = 16777619;
        var hash = offset;
        void Feed(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                hash ^= b;
                hash *= prime;
            }
        }
        Feed(CanonicalJson(template));
        if (collisionCount is { } c)
        {
            Span<byte> bytes = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, unchecked((uint)c));
            Feed(bytes);
        }
        return SafeEncodeString(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>rand.SafeEncodeString: each character mapped into consonants and digits that spell no words.</summary>
    public static string SafeEncodeString(string s)
    {
        const string alphanums = "bcdfghjklmnpqrstvwxz2456789";
        var chars = new char[s.Length];
        for (var i = 0; i < s.Length; i++) chars[i] = alphanums[s[i] % alphanums.Length];
        return new string(chars);
    }

    public static byte[] CanonicalJson(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteCanonical(w, node);
        return buffer.ToArray();
    }

    private static void WriteCanonical(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                w.WriteNullValue();
                break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    WriteCanonical(w, v);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var item in a) WriteCanonical(w, item);
                w.WriteEndArray();
                break;
            default:
                node.WriteTo(w);
                break;
        }
    }

    /// <summary>Templates equal apart from the pod-template-hash label (an empty label map equals none).</summary>
    public static bool EqualIgnoreHash(JsonNode? t1, JsonNode? t2) => JsonNode.DeepEquals(WithoutHash(t1), WithoutHash(t2));

    /// <summary>A copy of a pod template without the pod-template-hash label.</summary>
    public static JsonObject WithoutHash(JsonNode? template)
    {
        var copy = template?.DeepClone() as JsonObject ?? new JsonObject();
        if (copy["metadata"] is JsonObject meta && meta["labels"] is JsonObject labels)
        {
            labels.Remove(PodTemplateHashLabel);
            if (labels.Count == 0) meta.Remove("labels");
            if (meta.Count == 0) copy.Remove("metadata");
        }
        return copy;
    }

    // ---- revisions and ReplicaSet lists

    public static long Revision(JsonObject rs) =>
        long.TryParse(Annotation(rs, RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;

    public static long MaxRevision(IEnumerable<JsonObject> rsList) => rsList.Select(Revision).DefaultIfEmpty(0).Max();

    private static DateTimeOffset Created(JsonObject obj) => ObjectMeta.ParseTime(obj["metadata"]?["creationTimestamp"]) ?? DateTimeOffset.MinValue;

    /// <summary>Oldest first; ties by name (controller.ReplicaSetsByCreationTimestamp).</summary>
    public static List<JsonObject> ByCreation(IEnumerable<JsonObject> rsList) =>
        rsList.OrderBy(Created).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();

    /// <summary>Largest first; ties oldest first (ReplicaSetsBySizeOlder).</summary>
    public static List<JsonObject> BySizeOlder(IEnumerable<JsonObject> rsList) =>
        rsList.OrderByDescending(Replicas).ThenBy(Created).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();

    /// <summary>Largest first; ties newest first (ReplicaSetsBySizeNewer).</summary>
    public static List<JsonObject> BySizeNewer(IEnumerable<JsonObject> rsList) =>
        rsList.OrderByDescending(Replicas).ThenByDescending(Created).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();

    /// <summary>Lowest revision first; ties by creation (ReplicaSetsByRevision).</summary>
    public static List<JsonObject> ByRevision(IEnumerable<JsonObject> rsList) =>
        rsList.OrderBy(Revision).ThenBy(Created).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();

    /// <summary>The oldest ReplicaSet whose template equals the deployment's (FindNewReplicaSet).</summary>
    public static JsonObject? FindNewReplicaSet(JsonObject d, IEnumerable<JsonObject> rsList) =>
        ByCreation(rsList).FirstOrDefault(rs => EqualIgnoreHash(rs["spec"]?["template"], d["spec"]?["template"]));

    public static List<JsonObject> FilterActive(IEnumerable<JsonObject?> rsList) => rsList.OfType<JsonObject>().Where(rs => Replicas(rs) > 0).ToList();

    public static int SumReplicas(IEnumerable<JsonObject?> rsList) => rsList.OfType<JsonObject>().Sum(Replicas);
    public static int SumStatus(IEnumerable<JsonObject?> rsList, string field) => rsList.OfType<JsonObject>().Sum(rs => StatusInt(rs, field));

    /// <summary>How many replicas the new ReplicaSet may have now (NewRSNewReplicas).</summary>
    public static int NewRSNewReplicas(JsonObject d, IReadOnlyList<JsonObject?> allRSs, JsonObject newRS)
    {
        if (!IsRollingUpdate(d)) return Replicas(d);
        var maxTotal = Replicas(d) + MaxSurge(d);
        var current = SumReplicas(allRSs);
        if (current >= maxTotal) return Replicas(newRS);
        var scaleUp = Math.Min(maxTotal - current, Replicas(d) - Replicas(newRS));
        return Replicas(newRS) + scaleUp;
    }

    /// <summary>The new ReplicaSet has all replicas of the deployment, all available.</summary>
    public static bool IsSaturated(JsonObject d, JsonObject? rs)
    {
        if (rs == null) return false;
        if (!int.TryParse(Annotation(rs, DesiredReplicasAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var desired)) return false;
        return Replicas(rs) == Replicas(d) && desired == Replicas(d) && StatusInt(rs, "availableReplicas") == Replicas(d);
    }

    /// <summary>The only active ReplicaSet, or the newest when none is active; null when several are active.</summary>
    public static JsonObject? FindActiveOrLatest(JsonObject? newRS, IReadOnlyList<JsonObject> oldRSs)
    {
        if (newRS == null && oldRSs.Count == 0) return null;
        var newestFirst = ByCreation(oldRSs);
        newestFirst.Reverse();
        var active = FilterActive(newestFirst.Append(newRS));
        return active.Count switch
        {
            0 => newRS ?? newestFirst[0],
            1 => active[0],
            _ => null,
        };
    }

    /// <summary>This ReplicaSet's share of <paramref name="toAdd"/> replicas in a proportional scale (GetProportion).</summary>
    public static int Proportion(JsonObject? rs, JsonObject d, int toAdd, int added)
    {
        if (rs == null || Replicas(rs) == 0 || toAdd == 0 || toAdd == added) return 0;
        var fraction = ReplicaSetFraction(rs, d);
        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static int ReplicaSetFraction(JsonObject rs, JsonObject d)
    {
        if (Replicas(d) == 0) return -Replicas(rs);
        var deploymentReplicas = Replicas(d) + MaxSurge(d);
        var annotated = int.TryParse(Annotation(rs, MaxReplicasAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            ? a : StatusInt(d, "replicas");
        var newSize = (double)Replicas(rs) * deploymentReplicas / annotated;
        return (int)Math.Round(newSize, MidpointRounding.AwayFromZero) - Replicas(rs);
    }

    // ---- annotations

    public static bool ReplicasAnnotationsNeedUpdate(JsonObject rs, int desired, int max) =>
        Annotation(rs, DesiredReplicasAnnotation) != desired.ToString(CultureInfo.InvariantCulture)
        || Annotation(rs, MaxReplicasAnnotation) != max.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sets desired-replicas and max-replicas; true when anything changed.</summary>
    public static bool SetReplicasAnnotations(JsonObject rs, int desired, int max)
    {
        if (!ReplicasAnnotationsNeedUpdate(rs, desired, max)) return false;
        var a = Annotations(rs);
        a[DesiredReplicasAnnotation] = desired.ToString(CultureInfo.InvariantCulture);
        a[MaxReplicasAnnotation] = max.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Copies the deployment's own annotations (not the bookkeeping ones) onto a ReplicaSet.</summary>
    public static bool CopyDeploymentAnnotations(JsonObject d, JsonObject rs)
    {
        var changed = false;
        foreach (var (k, v) in ObjectMeta.Annotations(d) ?? [])
        {
            if (AnnotationsToSkip.Contains(k)) continue;
            var value = (string?)v ?? "";
            if (ObjectMeta.Annotations(rs)?[k] is JsonValue existing && (string?)existing == value) continue;
            Annotations(rs)[k] = value;
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// SetNewReplicaSetAnnotations: copies deployment annotations, raises the revision to
    /// <paramref name="newRevision"/> (recording the old one in revision-history), and for a new
    /// ReplicaSet sets the replica annotations. True when anything changed.
    /// </summary>
    public static bool SetNewReplicaSetAnnotations(JsonObject d, JsonObject rs, string newRevision, bool exists, int historyLimit = MaxRevisionHistoryLengthInChars)
    {
        var changed = CopyDeploymentAnnotations(d, rs);
        var oldRevision = ObjectMeta.Annotations(rs)?[RevisionAnnotation] is JsonValue ov ? (string?)ov : null;
        long oldInt = 0;
        if (!string.IsNullOrEmpty(oldRevision) && !long.TryParse(oldRevision, NumberStyles.None, CultureInfo.InvariantCulture, out oldInt)) return false;
        if (!long.TryParse(newRevision, NumberStyles.None, CultureInfo.InvariantCulture, out var newInt)) return false;
        if (oldInt < newInt)
        {
            Annotations(rs)[RevisionAnnotation] = newRevision;
            changed = true;
        }
        if (oldRevision != null && oldInt < newInt)
        {
            var history = Annotation(rs, RevisionHistoryAnnotation);
            var entries = history.Length == 0 ? new List<string>() : history.Split(',').ToList();
            entries.Add(oldRevision);
            while (entries.Count > 1 && string.Join(",", entries).Length > historyLimit) entries.RemoveAt(0);
            Annotations(rs)[RevisionHistoryAnnotation] = string.Join(",", entries);
        }
        if (!exists && SetReplicasAnnotations(rs, Replicas(d), Replicas(d) + MaxSurge(d))) changed = true;
        return changed;
    }

    /// <summary>Sets the deployment's revision annotation; true when it changed.</summary>
    public static bool SetDeploymentRevision(JsonObject d, string revision)
    {
        if (Annotation(d, RevisionAnnotation) == revision) return false;
        Annotations(d)[RevisionAnnotation] = revision;
        return true;
    }

    // ---- conditions

    public static JsonObject? GetCondition(JsonObject? status, string type) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    public static JsonObject NewCondition(string type, string status, string reason, string message, DateTimeOffset now) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastUpdateTime"] = ObjectMeta.FormatTime(now),
        ["lastTransitionTime"] = ObjectMeta.FormatTime(now),
        ["reason"] = reason,
        ["message"] = message,
    };

    /// <summary>SetDeploymentCondition: no-op for the same status and reason; keeps lastTransitionTime for the same status; moves the condition last.</summary>
    public static void SetCondition(JsonObject status, JsonObject condition)
    {
        var type = (string?)condition["type"];
        var current = GetCondition(status, type!);
        if (current != null && (string?)current["status"] == (string?)condition["status"] && (string?)current["reason"] == (string?)condition["reason"]) return;
        if (current != null && (string?)current["status"] == (string?)condition["status"])
            condition["lastTransitionTime"] = current["lastTransitionTime"]?.DeepClone();
        var kept = (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["type"] != type).Select(c => (JsonNode?)c.DeepClone()).ToList();
        kept.Add(condition);
        status["conditions"] = new JsonArray(kept.ToArray());
    }

    public static void RemoveCondition(JsonObject status, string type)
    {
        if (status["conditions"] is not JsonArray a) return;
        var kept = a.OfType<JsonObject>().Where(c => (string?)c["type"] != type).Select(c => (JsonNode?)c.DeepClone()).ToArray();
        if (kept.Length == 0) status.Remove("conditions");
        else status["conditions"] = new JsonArray(kept);
    }

    // ---- status

    public static bool HasProgressDeadline(JsonObject d) =>
        d["spec"]?["progressDeadlineSeconds"] is JsonValue v && v.TryGetValue<int>(out var s) && s != int.MaxValue;

    public static int ProgressDeadlineSeconds(JsonObject d) => (int?)d["spec"]?["progressDeadlineSeconds"] ?? 600;

    // Counts are int32 and observedGeneration int64 upstream; readers cast accordingly.
    private static void PutInt(JsonObject status, string field, long value)
    {
        if (value == 0) status.Remove(field);
        else if (field == "observedGeneration") status[field] = value;
        else status[field] = (int)value;
    }

    /// <summary>The status observed from the ReplicaSets (calculateStatus), with the Available condition.</summary>
    public static JsonObject CalculateStatus(IReadOnlyList<JsonObject?> allRSs, JsonObject? newRS, JsonObject d, DateTimeOffset now)
    {
        var available = SumStatus(allRSs, "availableReplicas");
        var total = SumReplicas(allRSs);
        var status = new JsonObject();
        PutInt(status, "observedGeneration", Generation(d));
        PutInt(status, "replicas", SumStatus(allRSs, "replicas"));
        PutInt(status, "updatedReplicas", StatusInt(newRS, "replicas"));
        PutInt(status, "readyReplicas", SumStatus(allRSs, "readyReplicas"));
        PutInt(status, "availableReplicas", available);
        PutInt(status, "unavailableReplicas", Math.Max(0, total - available));
        if (d["status"]?["conditions"] is JsonArray conditions && conditions.Count > 0) status["conditions"] = conditions.DeepClone();
        if (d["status"]?["collisionCount"] is { } cc) status["collisionCount"] = cc.DeepClone();
        SetCondition(status, available >= Replicas(d) - MaxUnavailable(d)
            ? NewCondition("Available", "True", MinimumReplicasAvailable, "Deployment has minimum availability.", now)
            : NewCondition("Available", "False", MinimumReplicasUnavailable, "Deployment does not have minimum availability.", now));
        return status;
    }

    /// <summary>Every replica updated and available, and the spec observed.</summary>
    public static bool DeploymentComplete(JsonObject d, JsonObject status) =>
        ((int?)status["updatedReplicas"] ?? 0) == Replicas(d)
        && ((int?)status["replicas"] ?? 0) == Replicas(d)
        && ((int?)status["availableReplicas"] ?? 0) == Replicas(d)
        && ((long?)status["observedGeneration"] ?? 0) >= Generation(d);

    /// <summary>More updated, fewer old, or more ready or available replicas than the stored status says.</summary>
    public static bool DeploymentProgressing(JsonObject d, JsonObject status)
    {
        var old = d["status"] as JsonObject;
        int Old(string f) => (int?)old?[f] ?? 0;
        int New(string f) => (int?)status[f] ?? 0;
        return New("updatedReplicas") > Old("updatedReplicas")
            || New("replicas") - New("updatedReplicas") < Old("replicas") - Old("updatedReplicas")
            || New("readyReplicas") > Old("readyReplicas")
            || New("availableReplicas") > Old("availableReplicas");
    }

    /// <summary>No progress for progressDeadlineSeconds since the Progressing condition was last updated.</summary>
    public static bool DeploymentTimedOut(JsonObject d, JsonObject status, DateTimeOffset now)
    {
        if (!HasProgressDeadline(d)) return false;
        var c = GetCondition(status, "Progressing");
        if (c == null) return false;
        var reason = (string?)c["reason"];
        if (reason == NewRSAvailableReason) return false;
        if (reason == TimedOutReason) return true;
        var from = ObjectMeta.ParseTime(c["lastUpdateTime"]);
        return from != null && from.Value.AddSeconds(ProgressDeadlineSeconds(d)) < now;
    }

    /// <summary>Typed equality of two statuses (numbers by value, so 0 equals absent).</summary>
    public static bool StatusEqual(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalize(a), Normalize(b));

    private static JsonObject Normalize(JsonNode? status)
    {
        var copy = status?.DeepClone() as JsonObject ?? new JsonObject();
        foreach (var key in copy.Where(p => p.Value is JsonValue v && v.TryGetValue<long>(out var n) && n == 0).Select(p => p.Key).ToList()) copy.Remove(key);
        if (copy["conditions"] is JsonArray { Count: 0 }) copy.Remove("conditions");
        return copy;
    }

    public static string Describe(JsonObject? rs) => rs == null ? "<nil>" : ObjectMeta.Name(rs);

    internal static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    internal static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
