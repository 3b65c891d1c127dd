using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Admission;

/// <summary>
/// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): a new pod without
/// <c>spec.serviceAccountName</c> runs as <c>default</c>; a pod whose service account does not exist is refused;
/// unless <c>automountServiceAccountToken</c> is false on the pod (or else on the service account) every container
/// and init container mounts the projected <c>kube-api-access-xxxxx</c> volume (bound token, cluster CA, namespace)
/// read-only at <see cref="TokenMountPath"/>; the service account's imagePullSecrets are copied to a pod without any.
/// Mirror pods are only validated. Service accounts come from the server's cache when it has them, else the store.
/// </summary>
public sealed class ServiceAccount(Func<ResourceStore> store, Func<ResourceDefinition> serviceAccounts, ObjectCaches? caches = null) : IAdmissionPlugin
{
    public const string DefaultServiceAccountName = "default";
    public const string TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    public const string VolumeNamePrefix = "kube-api-access-";
    public const string RootCaConfigMap = "kube-root-ca.crt";
    /// <summary>serviceaccount.WarnOnlyBoundTokenExpirationSeconds: one hour and seven seconds, so the kubelet refreshes in time.</summary>
    public const long TokenExpirationSeconds = 3607;
    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>
    /// How often to look again for the <c>default</c> service account, which its controller creates right after
    /// the namespace (upstream tries 10 times 100-200 ms apart; a busy machine gets a little longer here).
    /// </summary>
    public int DefaultAccountAttempts { get; init; } = 20;
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public string Name => "ServiceAccount";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (!IsPod(a) || a.Operation != AdmissionOperation.Create || a.Subresource.Length > 0 || a.Object is not { } pod) return;
        if (ObjectMeta.Annotations(pod)?[MirrorPodAnnotation] != null) return;
        var spec = pod["spec"] as JsonObject;
        if (spec == null) pod["spec"] = spec = new JsonObject();
        if (Str(spec["serviceAccountName"]).Length == 0) spec["serviceAccountName"] = DefaultServiceAccountName;
        var saName = Str(spec["serviceAccountName"]);
        var sa = await LookupAsync(a, saName, ct).ConfigureAwait(false);
        if (ShouldAutomount(sa, spec)) MountServiceAccountToken(spec, GenerateVolumeName);
        if (spec["imagePullSecrets"] is not JsonArray { Count: > 0 } && sa["imagePullSecrets"] is JsonArray { Count: > 0 } pulls)
            spec["imagePullSecrets"] = new JsonArray(pulls.OfType<JsonObject>().Select(p => (JsonNode?)new JsonObject { ["name"] = p["name"]?.DeepClone() }).ToArray());
    }

    public ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (!IsPod(a) || a.Operation != AdmissionOperation.Create || a.Subresource.Length > 0 || a.Object is not { } pod) return ValueTask.CompletedTask;
        // A static pod's mirror may not use API credentials (the kubelet could not get them for it). Other pods
        // were looked up while mutating.
        if (ObjectMeta.Annotations(pod)?[MirrorPodAnnotation] != null && Str(pod["spec"]?["serviceAccountName"]).Length > 0)
            throw Forbidden(a, "a mirror pod may not reference service accounts");
        return ValueTask.CompletedTask;
    }

    private static bool IsPod(AdmissionAttributes a) => a.Resource.Group.Length == 0 && a.Resource.Resource == "pods";

    private async Task<JsonObject> LookupAsync(AdmissionAttributes a, string name, CancellationToken ct)
    {
        if (caches?.Find("", "serviceaccounts")?.Get(a.Namespace, name) is { } cached) return cached;
        var attempts = name == DefaultServiceAccountName ? Math.Max(1, DefaultAccountAttempts) : 1;
        for (var i = 0; i < attempts; i++)
        {
            if (i > 0) await Task.Delay(RetryInterval, ct).ConfigureAwait(false);
            if (await store().TryGetAsync(serviceAccounts(), a.Namespace, name, ct).ConfigureAwait(false) is { } found) return found.Object;
        }
        throw Forbidden(a, $"error looking up service account {a.Namespace}/{name}: serviceaccount \"{name}\" not found");
    }

    private static StatusError Forbidden(AdmissionAttributes a, string reason) => StatusError.Forbidden(a.Resource.GroupResource, a.Name, reason);

    /// <summary>The pod's own setting wins, then the service account's; mounting is the default.</summary>
    public static bool ShouldAutomount(JsonObject serviceAccount, JsonObject podSpec) =>
        podSpec["automountServiceAccountToken"] is JsonValue p && p.TryGetValue<bool>(out var pb) ? pb
        : serviceAccount["automountServiceAccountToken"] is JsonValue s && s.TryGetValue<bool>(out var sb) ? sb
        : true;

    /// <summary>
    /// Adds the token volume mount to every container (init containers first) that has nothing at the token path,
    /// and the volume itself when some container needed it and the pod has no <c>kube-api-access-</c> volume yet.
    /// </summary>
    public static void MountServiceAccountToken(JsonObject spec, Func<string> generateName)
    {
        var volumes = spec["volumes"] as JsonArray;
        var existing = (volumes ?? []).OfType<JsonObject>().Select(v => Str(v["name"])).FirstOrDefault(n => n.StartsWith(VolumeNamePrefix, StringComparison.Ordinal));
        var volumeName = existing ?? generateName();
        var needsVolume = false;
        foreach (var field in new[] { "initContainers", "containers" })
        {
            foreach (var c in (spec[field] as JsonArray ?? []).OfType<JsonObject>())
            {
                var mounts = c["volumeMounts"] as JsonArray;
                if ((mounts ?? []).OfType<JsonObject>().Any(m => Str(m["mountPath"]) == TokenMountPath)) continue;
                if (mounts == null) c["volumeMounts"] = mounts = [];
                mounts.Add(new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = TokenMountPath });
                needsVolume = true;
            }
        }
        if (existing != null || !needsVolume) return;
        if (volumes == null) spec["volumes"] = volumes = [];
        volumes.Add(TokenVolume(volumeName));
    }

    /// <summary>The projected volume in the order and shape kube-apiserver writes it.</summary>
    public static JsonObject TokenVolume(string name) => new()
    {
        ["name"] = name,
        ["projected"] = new JsonObject
        {
            ["sources"] = new JsonArray(
                new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = TokenExpirationSeconds, ["path"] = "token" } },
                new JsonObject
                {
                    ["configMap"] = new JsonObject
                    {
                        ["name"] = RootCaConfigMap,
                        ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                    },
                },
                new JsonObject
                {
                    ["downwardAPI"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["path"] = "namespace",
                            ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                        }),
                    },
                }),
            ["defaultMode"] = 420,
        },
    };

    /// <summary><c>kube-api-access-</c> and five characters of the API server's name generator alphabet.</summary>
    public static string GenerateVolumeName()
    {
        Span<char> s = stackalloc char[5];
        for (var i = 0; i < s.Length; i++) s[i] = NameAlphabet[RandomNumberGenerator.GetInt32(NameAlphabet.Length)];
        return VolumeNamePrefix + new string(s);
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
