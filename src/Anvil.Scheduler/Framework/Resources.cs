using System.Text.Json.Nodes;
using Anvil.Machinery.Quantities;

namespace Anvil.Scheduler.Framework;

/// <summary>The resources the scheduler accounts for: CPU in millicores and memory in bytes.</summary>
internal readonly record struct Resources(long MilliCpu, long Memory)
{
    /// <summary>What a container without a request counts as for scoring (schedutil DefaultMilliCPURequest, DefaultMemoryRequest).</summary>
    public const long DefaultMilliCpu = 100;
    public const long DefaultMemory = 200 * 1024 * 1024;

    public static Resources operator +(Resources a, Resources b) => new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory);
    public static Resources operator -(Resources a, Resources b) => new(a.MilliCpu - b.MilliCpu, a.Memory - b.Memory);
    public static Resources Max(Resources a, Resources b) => new(Math.Max(a.MilliCpu, b.MilliCpu), Math.Max(a.Memory, b.Memory));

    /// <summary>cpu and memory of a ResourceList (requests or allocatable); absent or invalid values count as zero.</summary>
    public static Resources FromList(JsonNode? list, out bool hasCpu, out bool hasMemory)
    {
        hasCpu = TryQuantity(list?["cpu"], out var cpu);
        hasMemory = TryQuantity(list?["memory"], out var memory);
        return new Resources(hasCpu ? cpu.MilliValue : 0, hasMemory ? memory.Value : 0);
    }

    public static long Count(JsonNode? value) => TryQuantity(value, out var q) ? q.Value : 0;

    private static bool TryQuantity(JsonNode? node, out Quantity q)
    {
        q = default;
        if (node is not JsonValue v) return false;
        var text = v.TryGetValue<string>(out var s) ? s : v.ToJsonString();
        return Quantity.TryParse(text, out q);
    }
}
