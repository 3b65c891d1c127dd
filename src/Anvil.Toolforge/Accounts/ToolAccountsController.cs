using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// maintain-kubeusers as a level-triggered controller over the <c>tools</c> and <c>users</c> custom resources.
/// Per Tool: namespace <c>tool-&lt;name&gt;</c>, ResourceQuota and LimitRange (from the configured defaults, see
/// <see cref="ToolQuotaConfig"/>; rewritten when those change, keeping a per-tool override), home with
/// <c>logs/</c>, a client certificate through the CSR API written to <c>~/.kube/config</c>, the marker ConfigMap,
/// the <c>tools-user</c> RoleBinding (removed while disabled, with workloads stopped), status conditions, and a
/// finalizer that deletes the namespace (and the home, when asked) when the Tool goes. Per User: a kubeconfig in
/// the user's home and, for admins, the view and k8s-admin ClusterRoleBindings.
/// </summary>
public sealed class ToolAccountsController : Controller
{
    private const string ToolPrefix = "tool/";
    private const string UserPrefix = "user/";

    private readonly KubeClient _client;
    private readonly ToolAccountsOptions _options;
    private readonly ClientCertificateIssuer _issuer;
    private readonly Informer _tools, _users, _namespaces, _markers, _roleBindings, _clusterRoleBindings, _quotas, _limitRanges, _quotaConfig;
    private readonly EventRecorder _events;
    private volatile ToolQuotaDefaults _defaults;

    public override string Name => "tool-accounts";

    public ToolAccountsController(KubeClient client, ToolAccountsOptions options, ILogger log) : base(log)
    {
        _client = client;
        _options = options;
        _issuer = new ClientCertificateIssuer(client) { Lifetime = options.CertificateLifetime };
        _defaults = options.Quota;
        _events = new EventRecorder(client, "tool-accounts", log);
        var managed = "labelSelector=" + Uri.EscapeDataString($"{ToolAccountLabels.ManagedBy}={ToolAccountLabels.ManagedByValue}");
        _tools = new Informer(client, ToolforgeResources.Tools, log);
        _users = new Informer(client, ToolforgeResources.Users, log);
        _namespaces = new Informer(client, ToolforgeResources.Namespaces, log, query: "labelSelector=tenancy%3Dtool");
        _markers = new Informer(client, ToolforgeResources.ConfigMaps, log, query: "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + ToolAccountLabels.Marker));
        _roleBindings = new Informer(client, ToolforgeResources.RoleBindings, log, query: managed);
        _clusterRoleBindings = new Informer(client, ToolforgeResources.ClusterRoleBindings, log, query: managed);
        _quotas = new Informer(client, ToolforgeResources.ResourceQuotas, log, query: managed);
        _limitRanges = new Informer(client, ToolforgeResources.LimitRanges, log, query: managed);
        _quotaConfig = new Informer(client, ToolforgeResources.ConfigMaps, log, ns: ToolQuotaConfig.Namespace,
            query: "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + ToolQuotaConfig.Name));

        Watch(_tools, o => ToolPrefix + ObjectMeta.Name(o));
        Watch(_users, o => UserPrefix + ObjectMeta.Name(o));
        Watch(_namespaces, o => ToolNames.ToolOfNamespace(ObjectMeta.Name(o)) is { } t ? ToolPrefix + t : null);
        Watch(_markers, o => ToolNames.ToolOfNamespace(ObjectMeta.Namespace(o)) is { } t ? ToolPrefix + t : null);
        Watch(_roleBindings, o => ToolNames.ToolOfNamespace(ObjectMeta.Namespace(o)) is { } t ? ToolPrefix + t : null);
        Watch(_clusterRoleBindings, o => Str(ObjectMeta.Labels(o)?[ToolAccountLabels.User]) is { } u ? UserPrefix + u : null);
        Watch(_quotas, o => ToolNames.ToolOfNamespace(ObjectMeta.Namespace(o)) is { } t ? ToolPrefix + t : null);
        Watch(_limitRanges, o => ToolNames.ToolOfNamespace(ObjectMeta.Namespace(o)) is { } t ? ToolPrefix + t : null);
        // Handled on the informer's thread: the defaults are in place before the first tool is reconciled.
        _quotaConfig.Added += OnQuotaConfig;
        _quotaConfig.Updated += (_, o) => OnQuotaConfig(o);
        _quotaConfig.Deleted += _ => SetDefaults(_options.Quota, "deleted: the built-in defaults apply");
    }

    protected override IEnumerable<Informer> Informers => [_tools, _users, _namespaces, _markers, _roleBindings, _clusterRoleBindings, _quotas, _limitRanges, _quotaConfig];

    /// <summary>The quota defaults in force (the ConfigMap's last valid content, else the options').</summary>
    public ToolQuotaDefaults QuotaDefaults => _defaults;

    private void OnQuotaConfig(JsonObject cm)
    {
        ToolQuotaDefaults defaults;
        try
        {
            defaults = ToolQuotaConfig.FromConfigMap(cm) ?? _options.Quota;
        }
        catch (FormatException e)
        {
            // Keep what was in force; say why on the ConfigMap (kubectl describe shows it).
            Log.LogWarning("tool-accounts quota defaults {Namespace}/{Name} ignored: {Error}", ToolQuotaConfig.Namespace, ToolQuotaConfig.Name, e.Message);
            _events.Event(cm, EventRecorder.Warning, "InvalidQuotaDefaults", $"{ToolQuotaConfig.Key}: {e.Message}; the previous defaults stay in force");
            return;
        }
        SetDefaults(defaults, "updated");
    }

    private void SetDefaults(ToolQuotaDefaults defaults, string what)
    {
        if (defaults.Fingerprint() == _defaults.Fingerprint()) return;
        _defaults = defaults;
        Log.LogInformation("tool-accounts quota defaults {What} ({Fingerprint}): reconciling every tool", what, defaults.Fingerprint());
        foreach (var t in _tools.List()) Queue.Add(ToolPrefix + ObjectMeta.Name(t));
    }

    /// <summary>Runs the controller with <see cref="ToolAccountsOptions.Workers"/> workers until cancelled.</summary>
    public Task RunAsync(CancellationToken ct) => RunAsync(_options.Workers, ct);

    private void Watch(Informer informer, Func<JsonObject, string?> key)
    {
        void Enqueue(JsonObject o)
        {
            if (key(o) is { } k) Queue.Add(k);
        }
        informer.Added += Enqueue;
        informer.Updated += (_, o) => Enqueue(o);
        informer.Deleted += Enqueue;
    }

    protected override Task ReconcileAsync(string key, CancellationToken ct) =>
        key.StartsWith(ToolPrefix, StringComparison.Ordinal) ? ReconcileToolAsync(key[ToolPrefix.Length..], ct)
        : key.StartsWith(UserPrefix, StringComparison.Ordinal) ? ReconcileUserAsync(key[UserPrefix.Length..], ct)
        : Task.CompletedTask;

    // ---------------------------------------------------------------- tools

    private async Task ReconcileToolAsync(string name, CancellationToken ct)
    {
        if (_tools.Get(name) is not { } cached) return;
        var tool = (JsonObject)cached.DeepClone();
        if (ObjectMeta.IsDeleting(tool))
        {
            await FinalizeToolAsync(tool, ct).ConfigureAwait(false);
            return;
        }
        if (!ObjectMeta.Finalizers(tool).Contains(ToolAccountLabels.Finalizer))
        {
            ObjectMeta.SetFinalizers(tool, ObjectMeta.Finalizers(tool).Append(ToolAccountLabels.Finalizer));
            tool = await _client.UpdateAsync(ToolforgeResources.Tools, "", name, tool, ct: ct).ConfigureAwait(false);
        }
        if (ToolNames.Validate(name) is { } invalid)
        {
            await SetToolStatusAsync(tool, false, "InvalidName", invalid, null, ct).ConfigureAwait(false);
            return;
        }
        var uid = (int)(Int(tool["spec"]?["uid"]) ?? 0);
        var gid = (int)(Int(tool["spec"]?["gid"]) ?? uid);
        var disabled = Bool(tool["spec"]?["disabled"]) == true;
        var ns = ToolNames.Namespace(name);

        // 1. Namespace, quota and LimitRange.
        var nsObj = _namespaces.Get(ns);
        if (nsObj != null && ObjectMeta.IsDeleting(nsObj))
        {
            await SetToolStatusAsync(tool, false, "NamespaceTerminating", $"namespace {ns} is being deleted", null, ct).ConfigureAwait(false);
            Queue.AddAfter(ToolPrefix + name, TimeSpan.FromSeconds(2));
            return;
        }
        if (nsObj == null)
        {
            nsObj = await CreateOrGetAsync(ToolforgeResources.Namespaces, "", ToolObjects.Namespace(name), ct).ConfigureAwait(false);
            if (ObjectMeta.IsDeleting(nsObj))
            {
                Queue.AddAfter(ToolPrefix + name, TimeSpan.FromSeconds(2));
                return;
            }
        }
        await EnsureQuotaAsync(name, ct).ConfigureAwait(false);

        // 2. Home with logs/.
        var homes = _options.Toolforge.Homes;
        try
        {
            HomeFiles.EnsureHome(homes, name, uid, gid, HomeFiles.HomeMode, "logs");
        }
        catch (IOException e)
        {
            await HomeErrorAsync(tool, e, ct).ConfigureAwait(false);
            throw;
        }

        // 3. Access: the tools-user RoleBinding, only while enabled.
        var bindingName = name + "-tool-binding";
        var binding = _roleBindings.Get($"{ns}/{bindingName}");
        if (disabled)
        {
            if (binding != null) await DeleteIgnoringNotFoundAsync(ToolforgeResources.RoleBindings, ns, bindingName, ct).ConfigureAwait(false);
            var deletedPods = await StopWorkloadsAsync(tool, nsObj, ct).ConfigureAwait(false);
            var message = "the tool is disabled: its access is revoked and its workloads are stopped";
            if (deletedPods.Count > 0) message += $"; bare pods deleted (they cannot be suspended): {string.Join(", ", deletedPods)}";
            await SetToolStatusAsync(tool, false, "Disabled", message, null, ct).ConfigureAwait(false);
            return;
        }
        var want = ToolObjects.ToolRoleBinding(name);
        if (binding == null)
            await CreateOrGetAsync(ToolforgeResources.RoleBindings, ns, want, ct).ConfigureAwait(false);
        else if (!JsonNode.DeepEquals(binding["subjects"], want["subjects"]) || !JsonNode.DeepEquals(binding["roleRef"], want["roleRef"]))
        {
            // roleRef is immutable: replace the binding.
            await DeleteIgnoringNotFoundAsync(ToolforgeResources.RoleBindings, ns, bindingName, ct).ConfigureAwait(false);
            await CreateOrGetAsync(ToolforgeResources.RoleBindings, ns, want, ct).ConfigureAwait(false);
        }
        if (Str(ObjectMeta.Annotations(nsObj)?[ToolAccountLabels.WorkloadsStopped]) == "true")
            await StartWorkloadsAsync(name, ct).ConfigureAwait(false);

        // 4. Credentials: current while the marker exists, the kubeconfig is there and the certificate is not near expiry.
        var marker = _markers.Get($"{ns}/{ToolAccountLabels.Marker}");
        var expires = ParseExpiry(marker);
        var now = DateTimeOffset.UtcNow;
        if (marker == null || expires == null || expires.Value - now < _options.RenewBefore || !HomeFiles.Exists(homes, name, ".kube", "config"))
        {
            var credential = await _issuer.IssueAsync("tool-" + name, name, "toolforge", ct).ConfigureAwait(false);
            try
            {
                WriteToolCredentials(name, uid, gid, credential);
            }
            catch (IOException e)
            {
                // E.g. the tool made .kube a symlink: nothing is written through it; say so and retry with backoff.
                await HomeErrorAsync(tool, e, ct).ConfigureAwait(false);
                throw;
            }
            var newMarker = ToolObjects.Marker(now, credential.NotAfter);
            if (marker == null)
            {
                try
                {
                    await _client.CreateAsync(ToolforgeResources.ConfigMaps, ns, newMarker, ct).ConfigureAwait(false);
                }
                catch (ApiException e) when (e.IsAlreadyExists)
                {
                    await _client.PatchAsync(ToolforgeResources.ConfigMaps, ns, ToolAccountLabels.Marker, new JsonObject { ["data"] = newMarker["data"]!.DeepClone() }, ct: ct).ConfigureAwait(false);
                }
            }
            else
            {
                await _client.PatchAsync(ToolforgeResources.ConfigMaps, ns, ToolAccountLabels.Marker, new JsonObject { ["data"] = newMarker["data"]!.DeepClone() }, ct: ct).ConfigureAwait(false);
            }
            expires = credential.NotAfter;
            Log.LogInformation("tool-accounts tool={Tool} credentials issued expires={Expires}", name, ObjectMeta.FormatTime(credential.NotAfter));
        }
        ScheduleRenewal(ToolPrefix + name, expires.Value);
        await SetToolStatusAsync(tool, true, "Provisioned", $"namespace {ns}, kubeconfig {Path.Combine(homes, name, ".kube", "config")}", expires, ct).ConfigureAwait(false);
    }

    private Task HomeErrorAsync(JsonObject tool, IOException e, CancellationToken ct) =>
        SetToolStatusAsync(tool, false, "HomeError", $"cannot write the credentials into {Path.Combine(_options.Toolforge.Homes, ObjectMeta.Name(tool))}: {e.Message}", null, ct);

    private void WriteToolCredentials(string name, int uid, int gid, ClientCredential c)
    {
        var homes = _options.Toolforge.Homes;
        var readOnly = UnixFileMode.UserRead;
        HomeFiles.WriteFile(homes, name, ".toolskube", "client.crt", c.CertificatePem, uid, gid, readOnly);
        HomeFiles.WriteFile(homes, name, ".toolskube", "client.key", c.KeyPem, uid, gid, readOnly);
        var config = ToolKubeconfig.Render(_options.Server, _options.CaPem, "tf-" + name, c.CertificatePem, c.KeyPem, ToolNames.Namespace(name));
        HomeFiles.WriteFile(homes, name, ".kube", "config", config, uid, gid, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private async Task FinalizeToolAsync(JsonObject tool, CancellationToken ct)
    {
        var name = ObjectMeta.Name(tool);
        if (!ObjectMeta.Finalizers(tool).Contains(ToolAccountLabels.Finalizer)) return;
        if (ToolNames.Validate(name) == null)
        {
            await DeleteIgnoringNotFoundAsync(ToolforgeResources.Namespaces, "", ToolNames.Namespace(name), ct).ConfigureAwait(false);
            await DeleteIgnoringNotFoundAsync(ToolforgeResources.ClusterRoleBindings, "", name + "-obs", ct).ConfigureAwait(false);
            await DeleteIgnoringNotFoundAsync(ToolforgeResources.Csrs, "", "tool-" + name, ct).ConfigureAwait(false);
            if (Str(ObjectMeta.Annotations(tool)?[ToolAccountLabels.PurgeHome]) == "true")
            {
                HomeFiles.Purge(_options.Toolforge.Homes, name);
                Log.LogInformation("tool-accounts tool={Tool} home purged", name);
            }
        }
        ObjectMeta.SetFinalizers(tool, ObjectMeta.Finalizers(tool).Where(f => f != ToolAccountLabels.Finalizer));
        try
        {
            await _client.UpdateAsync(ToolforgeResources.Tools, "", name, tool, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
        Log.LogInformation("tool-accounts tool={Tool} removed", name);
    }

    /// <summary>
    /// The tool's ResourceQuota and LimitRange: created from the defaults in force when missing; rewritten (defaults
    /// plus the override kept on the quota) when they were written from other defaults. Otherwise left alone, so
    /// an admin's edit stays until the defaults change.
    /// </summary>
    private async Task EnsureQuotaAsync(string name, CancellationToken ct)
    {
        var ns = ToolNames.Namespace(name);
        var defaults = _defaults;
        var quota = _quotas.Get($"{ns}/{ns}");
        if (quota == null)
            quota = await CreateOrGetAsync(ToolforgeResources.ResourceQuotas, ns, ToolQuotaConfig.NewQuota(name, defaults), ct).ConfigureAwait(false);
        var o = ToolQuotaConfig.OverrideOf(name, quota);
        if (ToolQuotaConfig.Stale(quota, defaults))
            await PatchIgnoringNotFoundAsync(ToolforgeResources.ResourceQuotas, ns, ns, ToolQuotaConfig.QuotaPatch(quota, defaults, o), ct).ConfigureAwait(false);
        var lr = _limitRanges.Get($"{ns}/{ns}");
        var remade = false;
        if (lr == null)
        {
            lr = await CreateOrGetAsync(ToolforgeResources.LimitRanges, ns, ToolQuotaConfig.NewLimitRange(name, defaults), ct).ConfigureAwait(false);
            // A LimitRange made again (deleted by hand) still carries the override's max.
            remade = o?.LimitRangeMax(defaults) != null;
        }
        if (remade || ToolQuotaConfig.Stale(lr, defaults))
            await PatchIgnoringNotFoundAsync(ToolforgeResources.LimitRanges, ns, ns, ToolQuotaConfig.LimitRangePatch(lr, defaults, o), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Disabling stops without deleting what can be resumed: Deployments, StatefulSets (when served),
    /// ReplicationControllers and ReplicaSets without an owner go to 0 replicas, CronJobs and unfinished Jobs are suspended (a suspended Job's
    /// active pods are removed by the Job controller), each remembering its previous value in an annotation. Pods
    /// without a controller cannot be stopped any other way and would never come back, so running ones are deleted,
    /// named in the namespace annotation, the Tool's status and an Event. The namespace is marked first so that
    /// enabling restores even after an interruption. Returns the bare pods deleted so far.
    /// </summary>
    private async Task<List<string>> StopWorkloadsAsync(JsonObject tool, JsonObject nsObj, CancellationToken ct)
    {
        var name = ObjectMeta.Name(tool);
        var ns = ToolNames.Namespace(name);
        if (Str(ObjectMeta.Annotations(nsObj)?[ToolAccountLabels.WorkloadsStopped]) != "true")
            await _client.PatchAsync(ToolforgeResources.Namespaces, "", ns, Annotate(ToolAccountLabels.WorkloadsStopped, "true"), ct: ct).ConfigureAwait(false);
        foreach (var r in new[] { ToolforgeResources.Deployments, ToolforgeResources.StatefulSets, ToolforgeResources.ReplicationControllers, ToolforgeResources.ReplicaSets })
        {
            foreach (var d in await ItemsAsync(r, ns, ct).ConfigureAwait(false))
            {
                if (r == ToolforgeResources.ReplicaSets && Controller(d) != null) continue;
                var replicas = Int(d["spec"]?["replicas"]) ?? 1;
                if (replicas == 0) continue;
                var patch = Annotate(ToolAccountLabels.DisabledReplicas, replicas.ToString(CultureInfo.InvariantCulture));
                patch["spec"] = new JsonObject { ["replicas"] = 0 };
                await PatchIgnoringNotFoundAsync(r, ns, ObjectMeta.Name(d), patch, ct).ConfigureAwait(false);
            }
        }
        foreach (var r in new[] { ToolforgeResources.CronJobs, ToolforgeResources.Jobs })
        {
            foreach (var o in await ItemsAsync(r, ns, ct).ConfigureAwait(false))
            {
                if (Bool(o["spec"]?["suspend"]) == true) continue;
                if (r == ToolforgeResources.Jobs && IsFinished(o)) continue;
                var patch = Annotate(ToolAccountLabels.DisabledSuspend, "false");
                patch["spec"] = new JsonObject { ["suspend"] = true };
                await PatchIgnoringNotFoundAsync(r, ns, ObjectMeta.Name(o), patch, ct).ConfigureAwait(false);
            }
        }

        var deleted = (Str(ObjectMeta.Annotations(nsObj)?[ToolAccountLabels.DeletedPods]) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        var bare = (await ItemsAsync(ToolforgeResources.Pods, ns, ct).ConfigureAwait(false))
            .Where(p => Controller(p) == null && !ObjectMeta.IsDeleting(p) && Str(p["status"]?["phase"]) is not ("Succeeded" or "Failed"))
            .Select(ObjectMeta.Name).ToList();
        if (bare.Count == 0) return deleted;
        deleted = deleted.Union(bare).Order(StringComparer.Ordinal).ToList();
        // Recorded before deleting, so an interrupted pass still reports them.
        await _client.PatchAsync(ToolforgeResources.Namespaces, "", ns, Annotate(ToolAccountLabels.DeletedPods, string.Join(",", deleted)), ct: ct).ConfigureAwait(false);
        foreach (var pod in bare) await DeleteIgnoringNotFoundAsync(ToolforgeResources.Pods, ns, pod, ct).ConfigureAwait(false);
        await _events.EventAsync(tool, EventRecorder.Normal, "BarePodsDeleted",
            $"tool disabled: deleted pods without a controller in {ns} (they cannot be suspended and are not restored on enable): {string.Join(", ", bare)}", ct).ConfigureAwait(false);
        Log.LogInformation("tool-accounts tool={Tool} disabled: bare pods deleted {Pods}", name, string.Join(",", bare));
        return deleted;
    }

    private async Task StartWorkloadsAsync(string name, CancellationToken ct)
    {
        var ns = ToolNames.Namespace(name);
        foreach (var r in new[] { ToolforgeResources.Deployments, ToolforgeResources.StatefulSets, ToolforgeResources.ReplicationControllers, ToolforgeResources.ReplicaSets })
        {
            foreach (var d in await ItemsAsync(r, ns, ct).ConfigureAwait(false))
            {
                if (Str(ObjectMeta.Annotations(d)?[ToolAccountLabels.DisabledReplicas]) is not { } saved) continue;
                var patch = Annotate(ToolAccountLabels.DisabledReplicas, null);
                if (int.TryParse(saved, NumberStyles.None, CultureInfo.InvariantCulture, out var replicas)) patch["spec"] = new JsonObject { ["replicas"] = replicas };
                await PatchIgnoringNotFoundAsync(r, ns, ObjectMeta.Name(d), patch, ct).ConfigureAwait(false);
            }
        }
        foreach (var r in new[] { ToolforgeResources.CronJobs, ToolforgeResources.Jobs })
        {
            foreach (var o in await ItemsAsync(r, ns, ct).ConfigureAwait(false))
            {
                if (Str(ObjectMeta.Annotations(o)?[ToolAccountLabels.DisabledSuspend]) is not { } saved) continue;
                var patch = Annotate(ToolAccountLabels.DisabledSuspend, null);
                patch["spec"] = new JsonObject { ["suspend"] = saved == "true" };
                await PatchIgnoringNotFoundAsync(r, ns, ObjectMeta.Name(o), patch, ct).ConfigureAwait(false);
            }
        }
        var unmark = Annotate(ToolAccountLabels.WorkloadsStopped, null);
        unmark["metadata"]!["annotations"]![ToolAccountLabels.DeletedPods] = null;
        await _client.PatchAsync(ToolforgeResources.Namespaces, "", ns, unmark, ct: ct).ConfigureAwait(false);
    }

    /// <summary>The ownerReference with controller=true, or null.</summary>
    private static JsonObject? Controller(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(r => Bool(r["controller"]) == true);

    private static bool IsFinished(JsonObject job) =>
        (Arr(job["status"]?["conditions"]) ?? []).OfType<JsonObject>()
            .Any(c => Str(c["type"]) is "Complete" or "Failed" && Str(c["status"]) == "True");

    private async Task SetToolStatusAsync(JsonObject tool, bool ready, string reason, string message, DateTimeOffset? expires, CancellationToken ct)
    {
        var name = ObjectMeta.Name(tool);
        var status = new JsonObject
        {
            ["namespace"] = ToolNames.Namespace(name),
            ["home"] = Path.Combine(_options.Toolforge.Homes, name),
        };
        if (expires != null) status["credentialsExpire"] = ObjectMeta.FormatTime(expires.Value);
        await WriteStatusAsync(ToolforgeResources.Tools, tool, status, ready, reason, message, ct).ConfigureAwait(false);
    }

    /// <summary>Writes status with a Ready condition only when something changed (its own update comes back as an event).</summary>
    private async Task WriteStatusAsync(ResourceRef r, JsonObject obj, JsonObject status, bool ready, string reason, string message, CancellationToken ct)
    {
        var old = obj["status"] as JsonObject;
        var oldReady = (Arr(old?["conditions"]) ?? []).OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");
        var statusText = ready ? "True" : "False";
        var transition = oldReady != null && Str(oldReady["status"]) == statusText ? Str(oldReady["lastTransitionTime"]) : null;
        status["observedGeneration"] = Int(obj["metadata"]?["generation"]) ?? 0;
        status["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Ready",
            ["status"] = statusText,
            ["reason"] = reason,
            ["message"] = message,
            ["lastTransitionTime"] = transition ?? ObjectMeta.FormatTime(DateTimeOffset.UtcNow),
        });
        if (old != null && JsonNode.DeepEquals(old, status)) return;
        try
        {
            await _client.PatchAsync(r, "", ObjectMeta.Name(obj), new JsonObject { ["status"] = status }, subresource: "status", ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    private void ScheduleRenewal(string key, DateTimeOffset expires)
    {
        var due = expires - _options.RenewBefore - DateTimeOffset.UtcNow;
        // Task.Delay takes at most ~24 days; a daily look is plenty for a months-long certificate.
        if (due > TimeSpan.FromDays(1)) due = TimeSpan.FromDays(1);
        Queue.AddAfter(key, due < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : due);
    }

    private static DateTimeOffset? ParseExpiry(JsonObject? marker) =>
        Str(marker?["data"]?["expires"]) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    // ---------------------------------------------------------------- users

    private async Task ReconcileUserAsync(string name, CancellationToken ct)
    {
        var viewName = name + "-view-binding";
        var adminName = name + "-binding";
        var user = _users.Get(name) is { } cached ? (JsonObject)cached.DeepClone() : null;
        var admin = user != null && Bool(user["spec"]?["admin"]) == true;
        if (!admin || ToolNames.Validate(name) != null)
        {
            foreach (var b in new[] { viewName, adminName })
                if (_clusterRoleBindings.Get(b) != null) await DeleteIgnoringNotFoundAsync(ToolforgeResources.ClusterRoleBindings, "", b, ct).ConfigureAwait(false);
        }
        if (user == null) return;
        if (ToolNames.Validate(name) is { } invalid)
        {
            await WriteStatusAsync(ToolforgeResources.Users, user, new JsonObject(), false, "InvalidName", invalid, ct).ConfigureAwait(false);
            return;
        }
        if (admin)
        {
            await EnsureClusterRoleBindingAsync(viewName, name, ToolforgeRoles.AdminView, ct).ConfigureAwait(false);
            await EnsureClusterRoleBindingAsync(adminName, name, ToolforgeRoles.K8sAdmin, ct).ConfigureAwait(false);
        }

        var group = admin ? "admins" : "toolforge";
        var uid = (int)(Int(user["spec"]?["uid"]) ?? 0);
        var gid = PrimaryGroup(uid);
        var root = _options.Toolforge.UsersHome;
        var status = user["status"] as JsonObject;
        var expires = ParseTime(status?["credentialsExpire"]);
        var now = DateTimeOffset.UtcNow;
        HomeFiles.EnsureHome(root, name, uid, gid, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (expires == null || expires.Value - now < _options.RenewBefore || Str(status?["group"]) != group || !HomeFiles.Exists(root, name, ".kube", "config"))
        {
            var c = await _issuer.IssueAsync("user-" + name, name, group, ct).ConfigureAwait(false);
            var config = ToolKubeconfig.Render(_options.Server, _options.CaPem, name, c.CertificatePem, c.KeyPem, null);
            HomeFiles.WriteFile(root, name, ".kube", "config", config, uid, gid, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            expires = c.NotAfter;
            Log.LogInformation("tool-accounts user={User} group={Group} credentials issued", name, group);
        }
        ScheduleRenewal(UserPrefix + name, expires.Value);
        await WriteStatusAsync(ToolforgeResources.Users, user, new JsonObject
        {
            ["group"] = group,
            ["credentialsExpire"] = ObjectMeta.FormatTime(expires.Value),
            ["kubeconfig"] = Path.Combine(root, name, ".kube", "config"),
        }, true, "Provisioned", admin ? "admin credentials" : "user credentials", ct).ConfigureAwait(false);
    }

    private static DateTimeOffset? ParseTime(JsonNode? node) =>
        Str(node) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>The primary group of a unix uid from /etc/passwd, else the uid itself.</summary>
    internal static int PrimaryGroup(int uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 3 && f[2] == uid.ToString(CultureInfo.InvariantCulture) && int.TryParse(f[3], CultureInfo.InvariantCulture, out var gid)) return gid;
            }
        }
        catch (IOException)
        {
        }
        return uid;
    }

    private async Task EnsureClusterRoleBindingAsync(string bindingName, string user, string role, CancellationToken ct)
    {
        var want = ToolObjects.UserClusterRoleBinding(bindingName, user, role);
        var have = _clusterRoleBindings.Get(bindingName);
        if (have != null && JsonNode.DeepEquals(have["subjects"], want["subjects"]) && JsonNode.DeepEquals(have["roleRef"], want["roleRef"])) return;
        if (have != null) await DeleteIgnoringNotFoundAsync(ToolforgeResources.ClusterRoleBindings, "", bindingName, ct).ConfigureAwait(false);
        await CreateOrGetAsync(ToolforgeResources.ClusterRoleBindings, "", want, ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- helpers

    private async Task<JsonObject> CreateOrGetAsync(ResourceRef r, string ns, JsonObject obj, CancellationToken ct)
    {
        try
        {
            return await _client.CreateAsync(r, ns, obj, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            return await _client.GetAsync(r, ns, ObjectMeta.Name(obj), ct).ConfigureAwait(false);
        }
    }

    private async Task DeleteIgnoringNotFoundAsync(ResourceRef r, string ns, string name, CancellationToken ct)
    {
        try
        {
            await _client.DeleteAsync(r, ns, name, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    private async Task PatchIgnoringNotFoundAsync(ResourceRef r, string ns, string name, JsonObject patch, CancellationToken ct)
    {
        try
        {
            await _client.PatchAsync(r, ns, name, patch, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    /// <summary>The objects of a resource in a namespace; none when the server does not serve the resource.</summary>
    private async Task<IEnumerable<JsonObject>> ItemsAsync(ResourceRef r, string ns, CancellationToken ct)
    {
        try
        {
            return ((await _client.ListAsync(r, ns, ct: ct).ConfigureAwait(false))["items"] as JsonArray ?? []).OfType<JsonObject>();
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return [];
        }
    }

    private static JsonObject Annotate(string key, string? value) =>
        new() { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value } } };
}
