using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Anvil.Machinery.Instrumentation;

/// <summary>
/// The process collector every Prometheus client has (<c>process_*</c>: CPU, memory, file descriptors, start time) and
/// the .NET runtime's own figures (<c>dotnet_*</c>: collections and their pauses, allocation, JIT, thread pool), read
/// when scraped. The runtime figures are what kube-apiserver's <c>go_*</c> metrics are for a Go process.
/// </summary>
public static class RuntimeMetrics
{
    public static void Register(MetricsRegistry registry)
    {
        registry.Register(CallbackFamily.Of("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
            () => Environment.CpuUsage.TotalTime.TotalSeconds));
        registry.Register(CallbackFamily.Of("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
            () => Environment.WorkingSet));
        registry.Register(CallbackFamily.Of("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
            () => { using var p = Process.GetCurrentProcess(); return p.VirtualMemorySize64; }));
        registry.Register(CallbackFamily.Of("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge",
            () => StartTime));
        registry.Register(CallbackFamily.Of("process_open_fds", "Number of open file descriptors.", "gauge", OpenFds));
        registry.Register(CallbackFamily.Of("process_max_fds", "Maximum number of open file descriptors.", "gauge", MaxFds));

        registry.Register(new CallbackFamily("dotnet_gc_collections_total",
            "Garbage collections since the process started, by generation (a collection of a generation collects the younger ones too, and counts for each).",
            "counter", ["generation"], () => Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => (new[] { g.ToString(CultureInfo.InvariantCulture) }, (object)(double)GC.CollectionCount(g)))));
        registry.Register(CallbackFamily.Of("dotnet_gc_pause_seconds_total", "Time the garbage collector held the process' threads, in seconds.", "counter",
            () => GC.GetTotalPauseDuration().TotalSeconds));
        registry.Register(CallbackFamily.Of("dotnet_gc_heap_size_bytes", "Bytes in the managed heap (an estimate, as GC.GetTotalMemory).", "gauge",
            () => GC.GetTotalMemory(false)));
        registry.Register(CallbackFamily.Of("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.", "counter",
            () => GC.GetTotalAllocatedBytes(false)));
        registry.Register(CallbackFamily.Of("dotnet_gc_server", "1 when the process runs the server garbage collector, else 0.", "gauge",
            () => GCSettings.IsServerGC ? 1 : 0));
        registry.Register(CallbackFamily.Of("dotnet_jit_compiled_methods_total", "Methods the JIT compiled (each tier counts).", "counter",
            () => System.Runtime.JitInfo.GetCompiledMethodCount()));
        registry.Register(CallbackFamily.Of("dotnet_jit_compilation_seconds_total", "Time spent in the JIT compiler, in seconds.", "counter",
            () => System.Runtime.JitInfo.GetCompilationTime().TotalSeconds));
        registry.Register(CallbackFamily.Of("dotnet_thread_pool_threads", "Thread pool worker threads.", "gauge",
            () => ThreadPool.ThreadCount));
        registry.Register(CallbackFamily.Of("dotnet_thread_pool_queue_length", "Work items queued to the thread pool and not started.", "gauge",
            () => ThreadPool.PendingWorkItemCount));
        registry.Register(CallbackFamily.Of("dotnet_thread_pool_work_items_total", "Work items the thread pool completed.", "counter",
            () => ThreadPool.CompletedWorkItemCount));
    }

    private static readonly double StartTime = ReadStartTime();

    private static double ReadStartTime()
    {
        using var p = Process.GetCurrentProcess();
        return (p.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    private static double OpenFds()
    {
        try { return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(); }
        catch (IOException) { return double.NaN; }
        catch (UnauthorizedAccessException) { return double.NaN; }
    }

    /// <summary>The soft limit from /proc/self/limits ("Max open files  SOFT  HARD  files").</summary>
    private static double MaxFds()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.PositiveInfinity;
            }
        }
        catch (IOException)
        {
        }
        return double.NaN;
    }
}
