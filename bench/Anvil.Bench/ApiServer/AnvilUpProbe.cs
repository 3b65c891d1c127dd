using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// Memory of the real thing: starts <c>anvil up</c> (API server and controllers) as its own process on a
/// fresh data dir, waits for its ready line, reads its VmRSS after an idle period, then stops it with SIGTERM.
/// </summary>
internal sealed class AnvilUpProbe(string dataDir, TimeSpan idle)
{
    public long RssBytes { get; private set; } = -1;
    public double StartSeconds { get; private set; }
    public string? Error { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        AnvilUpProcess up;
        try
        {
            up = await AnvilUpProcess.StartAsync(dataDir, [], TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            Error = e.Message;
            return;
        }
        await using (up)
        {
            StartSeconds = up.StartSeconds;
            await Task.Delay(idle, ct).ConfigureAwait(false);
            RssBytes = ProcessMemory.RssBytes(up.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
