using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>The pod QoS class (pkg/apis/core/helper/qos.ComputePodQOS): cpu and memory over all containers.</summary>
internal static class PodQos
{
    static readonly string[] Supported = ["cpu", "memory"];

    public static string Compute(JsonObject? spec)
    {
        var requests = new Dictionary<string, decimal>();
        var limits = new Dictionary<string, decimal>();
        var guaranteed = true;
        foreach (var c in Items(spec, "containers").Concat(Items(spec, "initContainers")))
        {
            var res = Child(c, "resources");
            foreach (var (name, q) in Child(res, "requests") ?? [])
                if (Supported.Contains(name) && QuantityValidation.TryParse(QuantityValidation.Text(q), out var v, out _) && v > 0)
                    requests[name] = requests.GetValueOrDefault(name) + v;
            var found = new HashSet<string>();
            foreach (var (name, q) in Child(res, "limits") ?? [])
                if (Supported.Contains(name) && QuantityValidation.TryParse(QuantityValidation.Text(q), out var v, out _) && v > 0)
                {
                    found.Add(name);
                    limits[name] = limits.GetValueOrDefault(name) + v;
                }
            if (!Supported.All(found.Contains)) guaranteed = false;
        }
        if (requests.Count == 0 && limits.Count == 0) return "BestEffort";
        if (guaranteed)
            foreach (var (name, v) in requests)
                if (!limits.TryGetValue(name, out var l) || l != v) guaranteed = false;
        return guaranteed && requests.Count == limits.Count ? "Guaranteed" : "Burstable";
    }
}
