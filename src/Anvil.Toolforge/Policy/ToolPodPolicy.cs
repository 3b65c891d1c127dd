using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Validation;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Toolforge's per-tool pod policy (the Kyverno policy <c>toolforge-kyverno-pod-policy</c>, which replaced the
/// tool PodSecurityPolicy): in tool namespaces a pod runs as the tool's uid and gid, never as root, never
/// privileged, with no extra capabilities, no host namespaces, no host ports, no sysctls and the runtime's
/// default seccomp profile. Mutation fills what the request left unset; validation then rejects whatever
/// still breaks the policy, on the final object (after every mutating plugin).
/// </summary>
public sealed class ToolPodPolicy(IToolResolver tools) : IAdmissionPlugin
{
    public const string PolicyName = "toolforge-kyverno-pod-policy";
    public const string RuleName = "toolforge-validate-pod-policy";

    private static readonly HashSet<string> AllowedVolumeTypes =
        ["configMap", "downwardAPI", "emptyDir", "projected", "secret", "hostPath", "persistentVolumeClaim"];

    private static readonly HashSet<string> AllowedSeLinuxTypes =
        ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    public string Name => "ToolforgePodPolicy";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (PodSpecSites.Target(a) is not { } site) return;
        var ephemeral = a.Subresource == PodSpecSites.EphemeralContainers;
        // A pod's security context is fixed at creation; afterwards only ephemeral containers are added.
        if (site.IsPod && a.Operation == AdmissionOperation.Update && !ephemeral) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) is not { Problem: null, Uid: { } uid, Gid: { } gid }) return;
        Mutate(site, uid, gid, ephemeralOnly: ephemeral);
    }

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (PodSpecSites.Target(a) is not { } site) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) is not { } scope) return;
        if (scope.Problem != null) throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, scope.Problem);
        if (scope.Disabled && site.IsPod && a.Operation == AdmissionOperation.Create)
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"tool \"{scope.Tool}\" is disabled");
        var violations = Violations(site, scope.Uid!.Value, scope.Gid!.Value);
        if (violations.Count > 0) throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, string.Join("; ", violations));
    }

    /// <summary>Fills the unset security fields of the pod and of every container with the tool's values.</summary>
    internal static void Mutate(PodSpecSite site, long uid, long gid, bool ephemeralOnly = false)
    {
        if (!ephemeralOnly)
        {
            var sc = Child(site.Spec, "securityContext");
            sc["runAsUser"] ??= uid;
            sc["runAsGroup"] ??= gid;
            sc["fsGroup"] ??= gid;
            sc["runAsNonRoot"] ??= true;
            sc["seccompProfile"] ??= new JsonObject { ["type"] = "RuntimeDefault" };
        }
        foreach (var (c, _) in ephemeralOnly ? site.Containers("ephemeralContainers") : site.Containers())
        {
            var sc = Child(c, "securityContext");
            var caps = Child(sc, "capabilities");
            // Kubernetes refuses allowPrivilegeEscalation=false next to privileged or CAP_SYS_ADMIN (a 422 that would
            // hide this policy's answer); such containers are refused below anyway.
            if (JsonRead.Bool(sc["privileged"]) != true && !Strings(caps["add"]).Any(IsSysAdmin))
                sc["allowPrivilegeEscalation"] ??= false;
            sc["privileged"] ??= false;
            sc["runAsNonRoot"] ??= true;
            if (caps["drop"] is not JsonArray drop) caps["drop"] = drop = [];
            if (!Strings(drop).Contains("ALL")) drop.Add("ALL");
        }
    }

    /// <summary>Every breach of the policy, each as <c>rule toolforge-validate-pod-policy failed at path /spec/...: why</c>.</summary>
    internal static List<string> Violations(PodSpecSite site, long uid, long gid)
    {
        var found = new List<string>();
        void Fail(string path, string why) => found.Add($"rule {RuleName} failed at path {path}/: {why}");

        foreach (var host in new[] { "hostNetwork", "hostPID", "hostIPC" })
            if (JsonRead.Bool(site.Spec[host]) == true) Fail($"{site.Path}/{host}", "host namespaces are not allowed");

        var sc = site.Spec["securityContext"] as JsonObject;
        var scPath = site.Path + "/securityContext";
        MustBe(sc, scPath, "runAsUser", uid, "the tool's uid", required: true, Fail);
        MustBe(sc, scPath, "runAsGroup", gid, "the tool's gid", required: true, Fail);
        MustBe(sc, scPath, "fsGroup", gid, "the tool's gid", required: true, Fail);
        if (JsonRead.Bool(sc?["runAsNonRoot"]) != true) Fail(scPath + "/runAsNonRoot", "must be true");
        Seccomp(sc, scPath, required: true, Fail);
        if (sc?["supplementalGroups"] is JsonArray groups)
            for (var i = 0; i < groups.Count; i++)
                if (JsonRead.Int(groups[i]) is not (>= 1 and <= 65535))
                    Fail($"{scPath}/supplementalGroups/{i}", $"must be between 1 and 65535, got {groups[i]?.ToJsonString()}");
        if (sc?["sysctls"] is JsonArray { Count: > 0 }) Fail(scPath + "/sysctls", "sysctls are not allowed");
        SeLinuxAndAppArmor(sc, scPath, Fail);

        foreach (var (c, path) in site.Containers())
        {
            var csc = c["securityContext"] as JsonObject;
            var cscPath = path + "/securityContext";
            var escalates = false;
            if (JsonRead.Bool(csc?["privileged"]) == true)
            {
                Fail(cscPath + "/privileged", "must be false");
                escalates = true;
            }
            var added = Strings(csc?["capabilities"]?["add"]).ToList();
            if (added.Count > 0)
            {
                Fail(cscPath + "/capabilities/add", $"must be empty, got [{string.Join(" ", added)}]");
                escalates = true;
            }
            // Unset means allowed; reported unless the container already failed for a stronger reason.
            if (JsonRead.Bool(csc?["allowPrivilegeEscalation"]) is var ape && (ape == true || (ape == null && !escalates)))
                Fail(cscPath + "/allowPrivilegeEscalation", "must be false");
            if (!Strings(csc?["capabilities"]?["drop"]).Contains("ALL")) Fail(cscPath + "/capabilities/drop", "must contain ALL");
            if (JsonRead.Bool(csc?["runAsNonRoot"]) == false) Fail(cscPath + "/runAsNonRoot", "must be true");
            MustBe(csc, cscPath, "runAsUser", uid, "the tool's uid", required: false, Fail);
            MustBe(csc, cscPath, "runAsGroup", gid, "the tool's gid", required: false, Fail);
            if (JsonRead.Str(csc?["procMount"]) == "Unmasked") Fail(cscPath + "/procMount", "must not be Unmasked");
            Seccomp(csc, cscPath, required: false, Fail);
            SeLinuxAndAppArmor(csc, cscPath, Fail);
            if (c["ports"] is JsonArray ports)
                for (var j = 0; j < ports.Count; j++)
                    if (JsonRead.Int(ports[j]?["hostPort"]) is not (null or 0)) Fail($"{path}/ports/{j}/hostPort", "host ports are not allowed");
        }

        if (site.Spec["volumes"] is JsonArray volumes)
            for (var i = 0; i < volumes.Count; i++)
                if (volumes[i] is JsonObject v)
                    foreach (var (key, _) in v)
                        if (key != "name" && !AllowedVolumeTypes.Contains(key))
                            Fail($"{site.Path}/volumes/{i}/{key}", $"volume type {key} is not allowed");
        return found;
    }

    private static void MustBe(JsonObject? sc, string scPath, string field, long want, string what, bool required, Action<string, string> fail)
    {
        var node = sc?[field];
        if (node == null)
        {
            if (required) fail($"{scPath}/{field}", $"must be {want} ({what})");
            return;
        }
        if (JsonRead.Int(node) != want) fail($"{scPath}/{field}", $"must be {want} ({what}), got {node.ToJsonString()}");
    }

    private static void Seccomp(JsonObject? sc, string scPath, bool required, Action<string, string> fail)
    {
        var type = JsonRead.Str(sc?["seccompProfile"]?["type"]);
        if (type == "RuntimeDefault" || (type == null && !required)) return;
        fail(scPath + "/seccompProfile/type", type == null ? "must be RuntimeDefault" : $"must be RuntimeDefault, got {type}");
    }

    private static void SeLinuxAndAppArmor(JsonObject? sc, string scPath, Action<string, string> fail)
    {
        if (sc?["seLinuxOptions"] is JsonObject se)
        {
            if (!AllowedSeLinuxTypes.Contains(JsonRead.Str(se["type"]) ?? ""))
                fail(scPath + "/seLinuxOptions/type", "must be one of container_t, container_init_t, container_kvm_t, container_engine_t");
            foreach (var f in new[] { "user", "role" })
                if (!string.IsNullOrEmpty(JsonRead.Str(se[f]))) fail($"{scPath}/seLinuxOptions/{f}", "must be empty");
        }
        if (JsonRead.Str(sc?["appArmorProfile"]?["type"]) == "Unconfined") fail(scPath + "/appArmorProfile/type", "must not be Unconfined");
    }

    private static bool IsSysAdmin(string cap) => cap is "SYS_ADMIN" or "CAP_SYS_ADMIN";

    private static IEnumerable<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(JsonRead.Str).OfType<string>();

    private static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject o) return o;
        parent[key] = o = new JsonObject();
        return o;
    }
}
