using System.Globalization;

namespace Anvil.Node.Volumes;

/// <summary>The node's allocatable resources, which stand in for a container's unset limits in the downward API.</summary>
public sealed record NodeAllocatable(decimal Cpu, decimal MemoryBytes, decimal EphemeralStorageBytes)
{
    /// <summary>This machine: its processors and MemTotal (ephemeral storage is not accounted: 0).</summary>
    public static NodeAllocatable Host()
    {
        decimal mem = 0;
        try
        {
            foreach (var line in File.ReadAllLines("/proc/meminfo"))
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)
                    && long.TryParse(line[9..].Replace("kB", "", StringComparison.Ordinal).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
                    mem = kb * 1024m;
        }
        catch (IOException)
        {
        }
        return new NodeAllocatable(Environment.ProcessorCount, mem, 0);
    }
}
