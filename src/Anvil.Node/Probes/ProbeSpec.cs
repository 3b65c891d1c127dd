using System.Text.Json.Nodes;

namespace Anvil.Node.Probes;

/// <summary>
/// A container's probe (core/v1 Probe) with the API defaults filled in: periodSeconds 10, timeoutSeconds 1,
/// successThreshold 1, failureThreshold 3. <see cref="Handler"/> is the whole probe object (exec, httpGet,
/// tcpSocket or grpc).
/// </summary>
public sealed record ProbeSpec(
    JsonObject Handler,
    int InitialDelaySeconds,
    int PeriodSeconds,
    int TimeoutSeconds,
    int SuccessThreshold,
    int FailureThreshold,
    long? TerminationGracePeriodSeconds)
{
    public TimeSpan Period => TimeSpan.FromSeconds(PeriodSeconds);
    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>The probe of <paramref name="container"/> of this type, or null when it has none.</summary>
    public static ProbeSpec? For(JsonObject container, ProbeType type) =>
        From(container[type switch
        {
            ProbeType.Liveness => "livenessProbe",
            ProbeType.Readiness => "readinessProbe",
            _ => "startupProbe",
        }] as JsonObject);

    public static ProbeSpec? From(JsonObject? probe)
    {
        if (probe == null) return null;
        static int Int(JsonNode? n, int fallback) => n is JsonValue v && v.TryGetValue<int>(out var i) && i > 0 ? i : fallback;
        return new ProbeSpec(
            probe,
            probe["initialDelaySeconds"] is JsonValue d && d.TryGetValue<int>(out var delay) ? Math.Max(delay, 0) : 0,
            Int(probe["periodSeconds"], 10),
            Int(probe["timeoutSeconds"], 1),
            Int(probe["successThreshold"], 1),
            Int(probe["failureThreshold"], 3),
            probe["terminationGracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var grace) ? grace : null);
    }
}
