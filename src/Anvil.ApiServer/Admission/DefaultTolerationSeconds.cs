using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Admission;

/// <summary>
/// Gives new pods the tolerations for node.kubernetes.io/not-ready and node.kubernetes.io/unreachable (NoExecute,
/// tolerationSeconds 300) unless they already tolerate those taints (plugin/pkg/admission/defaulttolerationseconds),
/// so a pod outlives a node's short outage for five minutes before the taint eviction deletes it.
/// </summary>
public sealed class DefaultTolerationSeconds : IAdmissionPlugin
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const long Seconds = 300;

    public string Name => "DefaultTolerationSeconds";

    public ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Operation == AdmissionOperation.Create && a.Resource.Group.Length == 0 && a.Resource.Resource == "pods"
            && a.Subresource.Length == 0 && a.Object != null)
            Apply(a.Object);
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds the missing default tolerations to a pod object.</summary>
    public static void Apply(JsonObject pod)
    {
        if (pod["spec"] is not JsonObject spec) return;
        var tolerations = spec["tolerations"] as JsonArray;
        bool notReady = false, unreachable = false;
        foreach (var t in (tolerations ?? []).OfType<JsonObject>())
        {
            var key = (string?)t["key"] ?? "";
            var effect = (string?)t["effect"] ?? "";
            if (effect is not ("NoExecute" or "")) continue;
            notReady |= key is NotReady or "";
            unreachable |= key is Unreachable or "";
        }
        if (notReady && unreachable) return;
        if (tolerations == null) spec["tolerations"] = tolerations = [];
        if (!notReady) tolerations.Add(Toleration(NotReady));
        if (!unreachable) tolerations.Add(Toleration(Unreachable));
    }

    private static JsonObject Toleration(string key) => new()
    {
        ["key"] = key,
        ["operator"] = "Exists",
        ["effect"] = "NoExecute",
        ["tolerationSeconds"] = Seconds,
    };
}
