using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Storage;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// kube-controller-manager's csrsigning controllers, in the API server process because the cluster CA key
/// lives there: follows the CSRs (list, then watch, relisting every <see cref="ResyncPeriod"/>) and writes
/// each issued certificate or SignerValidationFailure through the <c>/status</c> subresource.
/// </summary>
public sealed class CsrSigningController(ResourceCatalog catalog, ResourceStore store, ClusterPki pki, ILogger log)
{
    /// <summary>The identity of kube-controller-manager's certificate controller.</summary>
    public static readonly UserInfo Identity = new("system:serviceaccount:kube-system:certificate-controller",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]);

    /// <summary>A full relist this often retries anything a failed write left behind.</summary>
    public static readonly TimeSpan ResyncPeriod = TimeSpan.FromMinutes(5);

    private readonly CsrSigner _signer = new(pki);

    public async Task RunAsync(CancellationToken ct)
    {
        if (catalog.Find("certificates.k8s.io", "v1", "certificatesigningrequests") is not { } def) return;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await store.ListAsync(def, "", new ListOptions(), ct).ConfigureAwait(false);
                foreach (var csr in list.Items) await SyncAsync(def, csr, ct).ConfigureAwait(false);
                using var resync = CancellationTokenSource.CreateLinkedTokenSource(ct);
                resync.CancelAfter(ResyncPeriod);
                var events = await store.WatchAsync(def, "", new WatchOptions { ResourceVersion = list.ResourceVersion.ToString(CultureInfo.InvariantCulture) }, resync.Token).ConfigureAwait(false);
                await foreach (var ev in events.WithCancellation(resync.Token).ConfigureAwait(false))
                    if (ev.Type is ApiWatchEvent.Added or ApiWatchEvent.Modified) await SyncAsync(def, ev.Object, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // Resync period over: relist.
            }
            catch (Exception e) when (e is StatusError or CompactedException or IOException)
            {
                log.LogWarning("csrsigning error={Error}; relisting", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task SyncAsync(ResourceDefinition def, JsonObject csr, CancellationToken ct)
    {
        var name = ObjectMeta.Name(csr);
        CsrSigningResult result;
        try
        {
            result = _signer.Handle(csr, DateTimeOffset.UtcNow);
        }
        catch (CryptographicException e)
        {
            log.LogWarning("csrsigning csr={Name} error={Error}", name, e.Message);
            return;
        }
        if (result.CertificatePem == null && result.Failure == null) return;
        var status = csr["status"] as JsonObject ?? new JsonObject();
        csr["status"] = status;
        if (result.CertificatePem != null)
        {
            status["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(result.CertificatePem));
        }
        else
        {
            var conditions = status["conditions"] as JsonArray ?? new JsonArray();
            status["conditions"] = conditions;
            conditions.Add(new JsonObject
            {
                ["type"] = "Failed",
                ["status"] = "True",
                ["reason"] = "SignerValidationFailure",
                ["message"] = result.Failure,
                ["lastUpdateTime"] = ObjectMeta.FormatTime(DateTimeOffset.UtcNow),
            });
        }
        try
        {
            // The resourceVersion read is a precondition: on a conflict the newer object arrives as an event.
            await store.UpdateAsync(def, "", name, csr,
                new WriteOptions { Subresource = "status", User = Identity, FieldManager = "kube-controller-manager" }, ct).ConfigureAwait(false);
            log.LogInformation("csrsigning csr={Name} result={Result}", name, result.Failure == null ? "issued" : "failed");
        }
        catch (StatusError e) when (e.Code is 404 or 409)
        {
        }
        catch (StatusError e)
        {
            log.LogWarning("csrsigning csr={Name} error={Error}", name, e.Message);
        }
    }
}
