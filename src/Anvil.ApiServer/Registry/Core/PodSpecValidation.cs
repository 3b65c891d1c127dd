using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>PodSpec validation of pkg/apis/core/validation (ValidatePodSpec and the container, volume, env, probe and toleration checks).</summary>
internal static class PodSpecValidation
{
    static readonly string[] SupportedPortProtocols = ["SCTP", "TCP", "UDP"];
    static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];
    static readonly string[] DnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    static readonly string[] TaintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
    const long MaxInt32 = int.MaxValue;

    static readonly string[] VolumeSourceOrder =
    [
        "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi", "glusterfs", "flocker",
        "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "azureFile", "vsphereVolume",
        "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
        "configMap", "flexVolume",
    ];

    public static IEnumerable<FieldError> DnsLabel(string value, string path) =>
        NameValidation.IsDns1123Label(value).Select(m => FieldError.Invalid(path, value, m));

    public static List<FieldError> ValidatePodTemplateSpec(JsonNode? template, string path)
    {
        var errs = new List<FieldError>();
        var t = template as JsonObject ?? new JsonObject();
        var meta = Child(t, "metadata");
        // Upstream builds these paths from the inlined ObjectMeta: "spec.template.labels", not ".metadata.labels".
        errs.AddRange(LabelValidation.ValidateLabels(meta?["labels"], path + ".labels"));
        errs.AddRange(LabelValidation.ValidateAnnotations(meta?["annotations"], path + ".annotations"));
        errs.AddRange(ValidatePodSpec(Child(t, "spec"), path + ".spec"));
        if (Items(Child(t, "spec"), "ephemeralContainers").Any())
            errs.Add(FieldError.Forbidden(path + ".spec.ephemeralContainers", "ephemeral containers not allowed in pod template"));
        return errs;
    }

    public static List<FieldError> ValidatePodSpec(JsonObject? spec, string path)
    {
        spec ??= new JsonObject();
        var errs = new List<FieldError>();
        if (IsUnset(spec["terminationGracePeriodSeconds"])) errs.Add(FieldError.Required(path + ".terminationGracePeriodSeconds"));
        var volumes = ValidateVolumes(spec, path + ".volumes", errs);
        errs.AddRange(ValidateContainers(spec, volumes, path + ".containers"));
        errs.AddRange(ValidateInitContainers(spec, volumes, path + ".initContainers"));
        errs.AddRange(ValidateRequiredEnum(Str(spec["restartPolicy"]), path + ".restartPolicy", RestartPolicies));
        errs.AddRange(ValidateRequiredEnum(Str(spec["dnsPolicy"]), path + ".dnsPolicy", DnsPolicies));
        errs.AddRange(LabelValidation.ValidateLabels(spec["nodeSelector"], path + ".nodeSelector"));
        var i = 0;
        foreach (var s in Items(spec, "imagePullSecrets"))
        {
            if (string.IsNullOrEmpty(Str(s["name"]))) errs.Add(FieldError.Required($"{path}.imagePullSecrets[{i}].name"));
            i++;
        }
        i = 0;
        var gates = new HashSet<string>();
        foreach (var g in Items(spec, "schedulingGates"))
        {
            var name = Str(g["name"]) ?? "";
            errs.AddRange(NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid($"{path}.schedulingGates[{i}].name", name, m)));
            if (!gates.Add(name)) errs.Add(FieldError.Duplicate($"{path}.schedulingGates[{i}]", name));
            i++;
        }
        if (Str(spec["serviceAccountName"]) is { Length: > 0 } sa)
            errs.AddRange(NameValidation.IsDns1123Subdomain(sa).Select(m => FieldError.Invalid(path + ".serviceAccountName", sa, m)));
        if (Str(spec["nodeName"]) is { Length: > 0 } node)
            errs.AddRange(NameValidation.IsDns1123Subdomain(node).Select(m => FieldError.Invalid(path + ".nodeName", node, m)));
        if (Int(spec["activeDeadlineSeconds"]) is { } ads && (ads < 1 || ads > MaxInt32))
            errs.Add(FieldError.Invalid(path + ".activeDeadlineSeconds", ads, NameValidation.InclusiveRangeError(1, MaxInt32)));
        if (Str(spec["hostname"]) is { Length: > 0 } hn) errs.AddRange(DnsLabel(hn, path + ".hostname"));
        if (Str(spec["subdomain"]) is { Length: > 0 } sd) errs.AddRange(DnsLabel(sd, path + ".subdomain"));
        errs.AddRange(ValidateTolerations(spec["tolerations"], path + ".tolerations"));
        if (Str(spec["priorityClassName"]) is { Length: > 0 } pc)
            errs.AddRange(NameValidation.IsDns1123Subdomain(pc).Select(m => FieldError.Invalid(path + ".priorityClassName", pc, m)));
        if (Str(spec["preemptionPolicy"]) is { } pp && pp is not ("PreemptLowerPriority" or "Never"))
            errs.Add(FieldError.NotSupported(path + ".preemptionPolicy", pp, ["Never", "PreemptLowerPriority"]));
        return errs;
    }

    static IEnumerable<FieldError> ValidateRequiredEnum(string? value, string path, string[] valid)
    {
        if (string.IsNullOrEmpty(value)) yield return FieldError.Required(path);
        else if (!valid.Contains(value)) yield return FieldError.NotSupported(path, value, valid);
    }

    /// <summary>ValidateVolumes: names are DNS labels and unique, exactly one source. Returns the valid volume names.</summary>
    internal static HashSet<string> ValidateVolumes(JsonObject spec, string path, List<FieldError> errs)
    {
        var names = new HashSet<string>();
        var i = 0;
        foreach (var v in Items(spec, "volumes"))
        {
            var p = $"{path}[{i++}]";
            var el = new List<FieldError>();
            var count = 0;
            foreach (var src in VolumeSourceOrder)
            {
                if (IsUnset(v[src])) continue;
                if (count++ > 0) el.Add(FieldError.Forbidden(p + "." + src, "may not specify more than 1 volume type"));
                else el.AddRange(ValidateVolumeSource(src, v[src] as JsonObject ?? new JsonObject(), p + "." + src));
            }
            if (count == 0) el.Add(FieldError.Required(p, "must specify a volume type"));
            var name = Str(v["name"]) ?? "";
            if (name.Length == 0) el.Add(FieldError.Required(p + ".name"));
            else el.AddRange(DnsLabel(name, p + ".name"));
            if (names.Contains(name)) el.Add(FieldError.Duplicate(p + ".name", name));
            if (el.Count == 0) names.Add(name);
            else errs.AddRange(el);
        }
        return names;
    }

    static IEnumerable<FieldError> ValidateVolumeSource(string kind, JsonObject src, string path)
    {
        switch (kind)
        {
            case "hostPath":
                if (string.IsNullOrEmpty(Str(src["path"]))) yield return FieldError.Required(path + ".path");
                break;
            case "secret":
                if (Str(src["secretName"]) is { Length: > 0 } sn)
                    foreach (var m in NameValidation.IsDns1123Subdomain(sn)) yield return FieldError.Invalid(path + ".secretName", sn, m);
                foreach (var e in ValidateDefaultMode(src, path)) yield return e;
                break;
            case "configMap":
                if (Str(src["name"]) is { Length: > 0 } cn)
                    foreach (var m in NameValidation.IsDns1123Subdomain(cn)) yield return FieldError.Invalid(path + ".name", cn, m);
                else yield return FieldError.Required(path + ".name");
                foreach (var e in ValidateDefaultMode(src, path)) yield return e;
                break;
            case "persistentVolumeClaim":
                if (string.IsNullOrEmpty(Str(src["claimName"]))) yield return FieldError.Required(path + ".claimName");
                break;
            case "nfs":
                if (string.IsNullOrEmpty(Str(src["server"]))) yield return FieldError.Required(path + ".server");
                if (string.IsNullOrEmpty(Str(src["path"]))) yield return FieldError.Required(path + ".path");
                else if (!Str(src["path"])!.StartsWith('/')) yield return FieldError.Invalid(path + ".path", Str(src["path"]), "must be an absolute path");
                break;
            case "emptyDir":
                if (src["sizeLimit"] is { } sl && !QuantityValidation.TryParse(QuantityValidation.Text(sl), out var v, out var canon))
                    yield return FieldError.Invalid(path + ".sizeLimit", QuantityValidation.Text(sl) ?? "", QuantityValidation.ParseErrorMsg);
                break;
        }
    }

    static IEnumerable<FieldError> ValidateDefaultMode(JsonObject src, string path)
    {
        if (Int(src["defaultMode"]) is { } mode && (mode < 0 || mode > 0777))
            yield return FieldError.Invalid(path + ".defaultMode", mode, "must be a number between 0 and 0777 (octal), both inclusive");
    }

    static IEnumerable<FieldError> ValidateContainers(JsonObject spec, HashSet<string> volumes, string path)
    {
        var containers = Items(spec, "containers").ToList();
        if (containers.Count == 0)
        {
            yield return FieldError.Required(path);
            yield break;
        }
        var grace = Int(spec["terminationGracePeriodSeconds"]);
        var names = new HashSet<string>();
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i];
            var p = $"{path}[{i}]";
            foreach (var e in ValidateContainerCommon(c, volumes, p)) yield return e;
            var name = Str(c["name"]) ?? "";
            if (!names.Add(name)) yield return FieldError.Duplicate(p + ".name", name);
            if (string.IsNullOrEmpty(Str(c["image"]))) yield return FieldError.Required(p + ".image");
            foreach (var e in ValidateLifecycle(Child(c, "lifecycle"), p + ".lifecycle")) yield return e;
            foreach (var e in ValidateProbe(Child(c, "livenessProbe"), p + ".livenessProbe", mustSucceedOnce: true)) yield return e;
            foreach (var e in ValidateProbe(Child(c, "readinessProbe"), p + ".readinessProbe", mustSucceedOnce: false)) yield return e;
            foreach (var e in ValidateProbe(Child(c, "startupProbe"), p + ".startupProbe", mustSucceedOnce: true)) yield return e;
            if (!IsUnset(c["restartPolicy"])) yield return FieldError.Forbidden(p + ".restartPolicy", "may not be set for non-init containers");
        }
        foreach (var e in CheckHostPortConflicts(containers, path)) yield return e;
    }

    static IEnumerable<FieldError> ValidateInitContainers(JsonObject spec, HashSet<string> volumes, string path)
    {
        var names = Items(spec, "containers").Select(c => Str(c["name"]) ?? "").ToHashSet();
        var i = 0;
        foreach (var c in Items(spec, "initContainers"))
        {
            var p = $"{path}[{i++}]";
            foreach (var e in ValidateContainerCommon(c, volumes, p)) yield return e;
            var name = Str(c["name"]) ?? "";
            if (!names.Add(name)) yield return FieldError.Duplicate(p + ".name", name);
            if (string.IsNullOrEmpty(Str(c["image"]))) yield return FieldError.Required(p + ".image");
            var restartPolicy = Str(c["restartPolicy"]);
            var sidecar = restartPolicy == "Always";
            if (restartPolicy != null && !sidecar) yield return FieldError.NotSupported(p + ".restartPolicy", restartPolicy, ["Always"]);
            if (!sidecar)
            {
                if (!IsUnset(c["lifecycle"])) yield return FieldError.Forbidden(p + ".lifecycle", "may not be set for init containers without restartPolicy=Always");
                if (!IsUnset(c["livenessProbe"])) yield return FieldError.Forbidden(p + ".livenessProbe", "may not be set for init containers without restartPolicy=Always");
                if (!IsUnset(c["readinessProbe"])) yield return FieldError.Forbidden(p + ".readinessProbe", "may not be set for init containers without restartPolicy=Always");
                if (!IsUnset(c["startupProbe"])) yield return FieldError.Forbidden(p + ".startupProbe", "may not be set for init containers without restartPolicy=Always");
            }
            else
            {
                foreach (var e in ValidateLifecycle(Child(c, "lifecycle"), p + ".lifecycle")) yield return e;
                foreach (var e in ValidateProbe(Child(c, "livenessProbe"), p + ".livenessProbe", true)) yield return e;
                foreach (var e in ValidateProbe(Child(c, "readinessProbe"), p + ".readinessProbe", false)) yield return e;
                foreach (var e in ValidateProbe(Child(c, "startupProbe"), p + ".startupProbe", true)) yield return e;
            }
        }
    }

    internal static IEnumerable<FieldError> ValidateContainerCommon(JsonObject c, HashSet<string> volumes, string path)
    {
        var name = Str(c["name"]) ?? "";
        if (name.Length == 0) yield return FieldError.Required(path + ".name");
        else foreach (var e in DnsLabel(name, path + ".name")) yield return e;
        var image = Str(c["image"]) ?? "";
        if (image.Length != image.Trim().Length) yield return FieldError.Invalid(path + ".image", image, "must not have leading or trailing whitespace");
        var tmp = Str(c["terminationMessagePolicy"]) ?? "";
        if (tmp.Length == 0) yield return FieldError.Required(path + ".terminationMessagePolicy", "must be 'File' or 'FallbackToLogsOnError'");
        else if (tmp is not ("File" or "FallbackToLogsOnError"))
            yield return FieldError.NotSupported(path + ".terminationMessagePolicy", tmp, ["File", "FallbackToLogsOnError"]);
        foreach (var e in ValidateRequiredEnum(Str(c["imagePullPolicy"]), path + ".imagePullPolicy", PullPolicies)) yield return e;
        foreach (var e in ValidateResources(Child(c, "resources"), path + ".resources")) yield return e;
        foreach (var e in ValidateContainerPorts(c, path + ".ports")) yield return e;
        foreach (var e in ValidateEnv(c, path + ".env")) yield return e;
        foreach (var e in ValidateEnvFrom(c, path + ".envFrom")) yield return e;
        foreach (var e in ValidateVolumeMounts(c, volumes, path + ".volumeMounts")) yield return e;
    }

    static bool IsNativeResource(string name) => !name.Contains('/') || name.Contains("kubernetes.io/");

    static bool IsHugePages(string name) => name.StartsWith("hugepages-", StringComparison.Ordinal);

    static bool IsOvercommitAllowed(string name) => IsNativeResource(name) && !IsHugePages(name);

    static IEnumerable<FieldError> ValidateContainerResourceName(string name, string path)
    {
        foreach (var e in ResourceNames.ValidateResourceName(name, path)) yield return e;
        if (!name.Contains('/'))
        {
            if (name is not ("cpu" or "memory" or "ephemeral-storage") && !IsHugePages(name))
                yield return FieldError.Invalid(path, name, "must be a standard resource for containers");
        }
        else if (!IsNativeResource(name) && (name.StartsWith("requests.", StringComparison.Ordinal) || NameValidation.IsQualifiedName("requests." + name).Count > 0))
            yield return FieldError.Invalid(path, name, "doesn't follow extended resource name standard");
    }

    /// <summary>ValidateResourceRequirements: names, non-negative quantities, integer-only resources, requests ≤ limits.</summary>
    public static IEnumerable<FieldError> ValidateResources(JsonObject? res, string path)
    {
        if (res == null) yield break;
        var limits = new Dictionary<string, (decimal Value, string Canonical)>();
        foreach (var (name, q) in Child(res, "limits") ?? [])
        {
            var p = $"{path}.limits[{name}]";
            foreach (var e in ValidateContainerResourceName(name, p)) yield return e;
            foreach (var e in ValidateResourceQuantity(name, QuantityValidation.Text(q), p)) yield return e;
            if (QuantityValidation.TryParse(QuantityValidation.Text(q), out var v, out var c)) limits[name] = (v, c);
        }
        foreach (var (name, q) in Child(res, "requests") ?? [])
        {
            var p = $"{path}.requests[{name}]";
            foreach (var e in ValidateContainerResourceName(name, p)) yield return e;
            foreach (var e in ValidateResourceQuantity(name, QuantityValidation.Text(q), p)) yield return e;
            if (!QuantityValidation.TryParse(QuantityValidation.Text(q), out var v, out var c)) continue;
            if (limits.TryGetValue(name, out var limit))
            {
                if (v != limit.Value && !IsOvercommitAllowed(name))
                    yield return FieldError.Invalid(path + ".requests", c, $"must be equal to {name} limit of {limit.Canonical}");
                else if (v > limit.Value)
                    yield return FieldError.Invalid(path + ".requests", c, $"must be less than or equal to {name} limit of {limit.Canonical}");
            }
            else if (!IsOvercommitAllowed(name))
                yield return FieldError.Required(path + ".limits", "Limit must be set for non overcommitable resources");
        }
    }

    /// <summary>ValidateResourceQuantityValue: parseable, non-negative, whole numbers for integer resources.</summary>
    public static IEnumerable<FieldError> ValidateResourceQuantity(string name, string? text, string path)
    {
        foreach (var e in QuantityValidation.ValidateNonnegativeQuantity(text, path)) { yield return e; yield break; }
        QuantityValidation.TryParse(text, out var v, out var c);
        var integerResource = !IsNativeResource(name) || name is "pods" or "services" or "replicationcontrollers" or "resourcequotas"
            or "secrets" or "configmaps" or "persistentvolumeclaims" or "services.nodeports" or "services.loadbalancers"
            || name.StartsWith("count/", StringComparison.Ordinal);
        if (integerResource && v != decimal.Truncate(v)) yield return FieldError.Invalid(path, c, "must be an integer");
    }

    static IEnumerable<FieldError> ValidateContainerPorts(JsonObject c, string path)
    {
        var names = new HashSet<string>();
        var i = 0;
        foreach (var port in Items(c, "ports"))
        {
            var p = $"{path}[{i++}]";
            var name = Str(port["name"]) ?? "";
            if (name.Length > 0)
            {
                var msgs = NameValidation.IsValidPortName(name);
                if (msgs.Count > 0) foreach (var m in msgs) yield return FieldError.Invalid(p + ".name", name, m);
                else if (!names.Add(name)) yield return FieldError.Duplicate(p + ".name", name);
            }
            var cp = Int(port["containerPort"]) ?? 0;
            if (cp == 0) yield return FieldError.Required(p + ".containerPort");
            else foreach (var m in NameValidation.IsValidPortNum(cp)) yield return FieldError.Invalid(p + ".containerPort", cp, m);
            var hp = Int(port["hostPort"]) ?? 0;
            if (hp != 0) foreach (var m in NameValidation.IsValidPortNum(hp)) yield return FieldError.Invalid(p + ".hostPort", hp, m);
            var proto = Str(port["protocol"]) ?? "";
            if (proto.Length == 0) yield return FieldError.Required(p + ".protocol");
            else if (!SupportedPortProtocols.Contains(proto)) yield return FieldError.NotSupported(p + ".protocol", proto, SupportedPortProtocols);
        }
    }

    static IEnumerable<FieldError> CheckHostPortConflicts(List<JsonObject> containers, string path)
    {
        var seen = new HashSet<string>();
        var i = 0;
        foreach (var c in containers)
        {
            var j = 0;
            foreach (var port in Items(c, "ports"))
            {
                var hp = Int(port["hostPort"]) ?? 0;
                if (hp != 0)
                {
                    var key = $"{Str(port["protocol"])}/{Str(port["hostIP"])}:{hp}";
                    if (!seen.Add(key)) yield return FieldError.Duplicate($"{path}[{i}].ports[{j}].hostPort", new GoValue(key));
                }
                j++;
            }
            i++;
        }
    }

    static IEnumerable<FieldError> ValidateEnv(JsonObject c, string path)
    {
        var i = 0;
        foreach (var ev in Items(c, "env"))
        {
            var p = $"{path}[{i++}]";
            var name = Str(ev["name"]) ?? "";
            if (name.Length == 0) yield return FieldError.Required(p + ".name");
            foreach (var m in NameValidation.IsRelaxedEnvVarName(name)) yield return FieldError.Invalid(p + ".name", name, m);
            if (Child(ev, "valueFrom") is not { } from) continue;
            var vp = p + ".valueFrom";
            var sources = 0;
            if (Child(from, "fieldRef") is { } fr)
            {
                sources++;
                if (string.IsNullOrEmpty(Str(fr["apiVersion"]))) yield return FieldError.Required(vp + ".fieldRef.apiVersion");
                if (string.IsNullOrEmpty(Str(fr["fieldPath"]))) yield return FieldError.Required(vp + ".fieldRef.fieldPath");
            }
            if (Child(from, "resourceFieldRef") is { } rf)
            {
                sources++;
                if (string.IsNullOrEmpty(Str(rf["resource"]))) yield return FieldError.Required(vp + ".resourceFieldRef.resource");
            }
            foreach (var (key, nameRule) in new[] { ("configMapKeyRef", true), ("secretKeyRef", true) })
            {
                if (Child(from, key) is not { } kr) continue;
                sources++;
                var refName = Str(kr["name"]) ?? "";
                if (refName.Length > 0 && nameRule)
                    foreach (var m in NameValidation.IsDns1123Subdomain(refName)) yield return FieldError.Invalid($"{vp}.{key}.name", refName, m);
                var k = Str(kr["key"]) ?? "";
                if (k.Length == 0) yield return FieldError.Required($"{vp}.{key}.key");
                else foreach (var m in NameValidation.IsConfigMapKey(k)) yield return FieldError.Invalid($"{vp}.{key}.key", k, m);
            }
            if (sources == 0) yield return FieldError.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
            else if (!string.IsNullOrEmpty(Str(ev["value"]))) yield return FieldError.Invalid(vp, "", "may not be specified when `value` is not empty");
            else if (sources > 1) yield return FieldError.Invalid(vp, "", "may not have more than one field specified at a time");
        }
    }

    static IEnumerable<FieldError> ValidateEnvFrom(JsonObject c, string path)
    {
        var i = 0;
        foreach (var ef in Items(c, "envFrom"))
        {
            var p = $"{path}[{i++}]";
            if (Str(ef["prefix"]) is { Length: > 0 } prefix)
                foreach (var m in NameValidation.IsRelaxedEnvVarName(prefix)) yield return FieldError.Invalid(p + ".prefix", prefix, m);
            var sources = 0;
            foreach (var key in (string[])["configMapRef", "secretRef"])
            {
                if (Child(ef, key) is not { } r) continue;
                sources++;
                var n = Str(r["name"]) ?? "";
                foreach (var m in NameValidation.IsDns1123Subdomain(n)) yield return FieldError.Invalid($"{p}.{key}.name", n, m);
            }
            if (sources == 0) yield return FieldError.Invalid(p, "", "must specify one of: `configMapRef` or `secretRef`");
            else if (sources > 1) yield return FieldError.Invalid(p, "", "may not have more than one field specified at a time");
        }
    }

    static IEnumerable<FieldError> ValidateVolumeMounts(JsonObject c, HashSet<string> volumes, string path)
    {
        var mountPoints = new HashSet<string>();
        var i = 0;
        foreach (var m in Items(c, "volumeMounts"))
        {
            var p = $"{path}[{i++}]";
            var name = Str(m["name"]) ?? "";
            if (name.Length == 0) yield return FieldError.Required(p + ".name");
            if (!volumes.Contains(name)) yield return FieldError.NotFound(p + ".name", name);
            var mp = Str(m["mountPath"]) ?? "";
            if (mp.Length == 0) yield return FieldError.Required(p + ".mountPath");
            if (!mountPoints.Add(mp)) yield return FieldError.Invalid(p + ".mountPath", mp, "must be unique");
            if (Str(m["subPath"]) is { Length: > 0 } sub)
            {
                if (sub.StartsWith('/')) yield return FieldError.Invalid(path + ".subPath", sub, "must be a relative path");
                if (sub.Split('/', '\\').Contains("..")) yield return FieldError.Invalid(path + ".subPath", sub, "must not contain '..'");
            }
        }
    }

    static IEnumerable<FieldError> ValidateLifecycle(JsonObject? lc, string path)
    {
        if (lc == null) yield break;
        foreach (var h in (string[])["postStart", "preStop"])
            if (Child(lc, h) is { } handler)
                foreach (var e in ValidateHandler(handler, path + "." + h, lifecycle: true)) yield return e;
    }

    static IEnumerable<FieldError> ValidateProbe(JsonObject? probe, string path, bool mustSucceedOnce)
    {
        if (probe == null) yield break;
        foreach (var e in ValidateHandler(probe, path, lifecycle: false)) yield return e;
        foreach (var f in (string[])["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"])
            foreach (var e in ObjectMetaValidation.ValidateNonnegative(Int(probe[f]), path + "." + f)) yield return e;
        if (Int(probe["terminationGracePeriodSeconds"]) is <= 0 and var tgps)
            yield return FieldError.Invalid(path + ".terminationGracePeriodSeconds", tgps, "must be greater than 0");
        if (mustSucceedOnce && Int(probe["successThreshold"]) is { } st && st != 1)
            yield return FieldError.Invalid(path + ".successThreshold", st, "must be 1");
    }

    static IEnumerable<FieldError> ValidateHandler(JsonObject handler, string path, bool lifecycle)
    {
        var count = 0;
        var kinds = lifecycle ? new[] { "exec", "httpGet", "tcpSocket", "sleep" } : ["exec", "httpGet", "tcpSocket", "grpc"];
        foreach (var kind in kinds)
        {
            if (Child(handler, kind) is not { } h) continue;
            var p = path + "." + kind;
            if (count++ > 0)
            {
                yield return FieldError.Forbidden(p, "may not specify more than 1 handler type");
                continue;
            }
            switch (kind)
            {
                case "exec":
                    if ((Arr(h["command"])?.Count ?? 0) == 0) yield return FieldError.Required(p + ".command");
                    break;
                case "httpGet":
                    if (string.IsNullOrEmpty(Str(h["path"]))) yield return FieldError.Required(p + ".path");
                    foreach (var e in ValidatePortNumOrName(h["port"], p + ".port")) yield return e;
                    var scheme = Str(h["scheme"]) ?? "";
                    if (scheme is not ("HTTP" or "HTTPS")) yield return FieldError.NotSupported(p + ".scheme", scheme, ["HTTP", "HTTPS"]);
                    break;
                case "tcpSocket":
                    foreach (var e in ValidatePortNumOrName(h["port"], p + ".port")) yield return e;
                    break;
                case "grpc":
                    var port = Int(h["port"]) ?? 0;
                    foreach (var m in NameValidation.IsValidPortNum(port)) yield return FieldError.Invalid(p + ".port", port, m);
                    break;
                case "sleep":
                    var secs = Int(h["seconds"]) ?? 0;
                    if (secs <= 0) yield return FieldError.Invalid(p + ".seconds", secs, "must be greater than 0 and less than terminationGracePeriodSeconds (30). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.");
                    break;
            }
        }
        if (count == 0) yield return FieldError.Required(path, "must specify a handler type");
    }

    /// <summary>ValidatePortNumOrName for an int-or-string port.</summary>
    public static IEnumerable<FieldError> ValidatePortNumOrName(JsonNode? port, string path)
    {
        if (Int(port) is { } n)
            foreach (var m in NameValidation.IsValidPortNum(n)) yield return FieldError.Invalid(path, n, m);
        else
        {
            var s = Str(port) ?? "";
            foreach (var m in NameValidation.IsValidPortName(s)) yield return FieldError.Invalid(path, s, m);
        }
    }

    public static IEnumerable<FieldError> ValidateTolerations(JsonNode? tolerations, string path)
    {
        var i = 0;
        foreach (var t in Arr(tolerations)?.OfType<JsonObject>() ?? [])
        {
            var p = $"{path}[{i++}]";
            var key = Str(t["key"]) ?? "";
            var op = Str(t["operator"]) ?? "";
            var value = Str(t["value"]) ?? "";
            var effect = Str(t["effect"]) ?? "";
            if (key.Length > 0) foreach (var e in LabelValidation.ValidateLabelName(key, p + ".key")) yield return e;
            if (key.Length == 0 && op != "Exists")
                yield return FieldError.Invalid(p + ".operator", op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
            if (!IsUnset(t["tolerationSeconds"]) && effect != "NoExecute")
                yield return FieldError.Invalid(p + ".effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set");
            switch (op)
            {
                case "Equal" or "":
                    var msgs = NameValidation.IsValidLabelValue(value);
                    if (msgs.Count > 0) yield return FieldError.Invalid(p + ".operator", value, string.Join(";", msgs));
                    break;
                case "Exists":
                    if (value.Length > 0) yield return FieldError.Invalid(p + ".operator", t, "value must be empty when `operator` is 'Exists'");
                    break;
                default:
                    yield return FieldError.NotSupported(p + ".operator", op, ["Equal", "Exists"]);
                    break;
            }
            if (effect.Length > 0 && !TaintEffects.Contains(effect)) yield return FieldError.NotSupported(p + ".effect", effect, TaintEffects);
        }
    }

    /// <summary>Taints of a node: key qualified name, value label value, effect required, unique key+effect.</summary>
    public static IEnumerable<FieldError> ValidateTaints(JsonNode? taints, string path)
    {
        var seen = new HashSet<string>();
        var i = 0;
        foreach (var t in Arr(taints)?.OfType<JsonObject>() ?? [])
        {
            var p = $"{path}[{i++}]";
            var key = Str(t["key"]) ?? "";
            foreach (var e in LabelValidation.ValidateLabelName(key, p + ".key")) yield return e;
            var value = Str(t["value"]) ?? "";
            if (NameValidation.IsValidLabelValue(value) is { Count: > 0 } msgs) yield return FieldError.Invalid(p + ".value", value, string.Join(";", msgs));
            var effect = Str(t["effect"]) ?? "";
            if (effect.Length == 0) yield return FieldError.Required(p + ".effect");
            else if (!TaintEffects.Contains(effect)) yield return FieldError.NotSupported(p + ".effect", effect, TaintEffects);
            if (!seen.Add(key + "\0" + effect))
            {
                yield return FieldError.Duplicate(p, new GoValue($"core.Taint{{Key:{GoQuote.Quote(key)}, Value:{GoQuote.Quote(value)}, Effect:{GoQuote.Quote(effect)}, TimeAdded:(*v1.Time)(nil)}}"))
                    with { Detail = "taints must be unique by key and effect pair" };
            }
        }
    }
}
