namespace Anvil.ApiServer.Admission;

/// <summary>Runs the plugins in Kubernetes' order: every mutating step first, then every validating step.</summary>
public sealed class AdmissionChain(IReadOnlyList<IAdmissionPlugin> plugins)
{
    public IReadOnlyList<IAdmissionPlugin> Plugins { get; } = plugins;

    public async ValueTask MutateAsync(AdmissionAttributes attributes, CancellationToken ct)
    {
        foreach (var p in Plugins) await p.MutateAsync(attributes, ct).ConfigureAwait(false);
    }

    public async ValueTask ValidateAsync(AdmissionAttributes attributes, CancellationToken ct)
    {
        foreach (var p in Plugins) await p.ValidateAsync(attributes, ct).ConfigureAwait(false);
    }
}
