using Anvil.Client;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers;

/// <summary>
/// The shape every controller shares: informers feed keys into a <see cref="WorkQueue{T}"/>; workers call
/// <see cref="ReconcileAsync"/> per key, requeueing with backoff on failure. Reconcile reads caches and
/// writes through the API, and must be idempotent.
/// </summary>
public abstract class Controller
{
    protected WorkQueue<string> Queue { get; } = new();
    protected ILogger Log { get; }
    public abstract string Name { get; }

    protected Controller(ILogger log) => Log = log;

    /// <summary>Brings the world in line for one key. Throw to retry with backoff; call Queue.AddAfter for timed follow-ups.</summary>
    protected abstract Task ReconcileAsync(string key, CancellationToken ct);

    /// <summary>Informers to run and wait for before workers start.</summary>
    protected abstract IEnumerable<Informer> Informers { get; }

    public async Task RunAsync(int workers, CancellationToken ct, bool startInformers = true)
    {
        var informerTasks = startInformers ? Informers.Select(i => i.RunAsync(ct)).ToList() : [];
        try
        {
            foreach (var i in Informers) await i.WaitForSyncAsync(ct).ConfigureAwait(false);
            Log.LogInformation("controller={Controller} caches synced", Name);
            var workerTasks = Enumerable.Range(0, workers).Select(_ => WorkerAsync(ct)).ToList();
            await Task.WhenAll(workerTasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            if (startInformers) Queue.ShutDown();
            try { await Task.WhenAll(informerTasks).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (true)
        {
            var (ok, key) = await Queue.GetAsync(ct).ConfigureAwait(false);
            if (!ok) return;
            try
            {
                await ReconcileAsync(key, ct).ConfigureAwait(false);
                Queue.Forget(key);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.LogWarning("controller={Controller} key={Key} error={Error}", Name, key, e.Message);
                Queue.AddRateLimited(key);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }
}
