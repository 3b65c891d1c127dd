using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Validation;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Toolforge's registry-admission: in tool namespaces every container image (init and ephemeral containers
/// too, which Toolforge's webhook forgets) comes from an allowed registry, <c>&lt;registry&gt;/...</c>.
/// Pods are checked on create, on image updates and when ephemeral containers are added; workload
/// templates on create and update.
/// </summary>
public sealed class ToolRegistryPolicy(IToolResolver tools, ToolforgeOptions options) : IAdmissionPlugin
{
    public string Name => "ToolforgeRegistryPolicy";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (PodSpecSites.Target(a) is not { } site) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) == null) return;
        var offending = site.Containers()
            .Select(c => JsonRead.Str(c.Container["image"]) ?? "")
            .Where(image => !Allowed(image, options.AllowedRegistries))
            .Select(image => $"Kind={a.Resource.Group}/{a.Resource.Version}, Kind={a.Resource.Kind}, Namespace={a.Namespace} Name={a.Name} Image={image}")
            .ToList();
        if (offending.Count == 0) return;
        // Go's %v of string slices, as Toolforge's message prints them.
        throw StatusError.Forbidden(a.Resource.GroupResource, a.Name,
            $"The following container images did not match any of the allowed registries ([{string.Join(" ", options.AllowedRegistries)}]): [{string.Join(" ", offending)}]");
    }

    /// <summary>Whether <paramref name="image"/> is <c>r/...</c> for an allowed registry <c>r</c> (an image name without a registry is Docker Hub's).</summary>
    internal static bool Allowed(string image, IEnumerable<string> registries) =>
        registries.Any(r => r.Length > 0 && image.Length > r.Length + 1 && image.StartsWith(r + "/", StringComparison.Ordinal));
}
