using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>Defaults of pkg/apis/core/v1/defaults.go for a PodSpec and its containers, volumes and probes.</summary>
internal static class PodSpecDefaults
{
    static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    /// <summary>SetDefaults_PodSpec and everything nested (applies to pods and pod templates).</summary>
    public static void DefaultPodSpec(JsonObject spec)
    {
        String(spec, "dnsPolicy", "ClusterFirst");
        String(spec, "restartPolicy", "Always");
        Object(spec, "securityContext");
        Int(spec, "terminationGracePeriodSeconds", 30);
        String(spec, "schedulerName", "default-scheduler");
        QuantityValidation.CanonicalizeList(spec["overhead"]);
        foreach (var list in ContainerLists)
            foreach (var c in Items(spec, list))
                DefaultContainer(c);
        foreach (var v in Items(spec, "volumes")) DefaultVolume(v);
    }

    /// <summary>With host networking, container ports default their host port (pods only, not templates).</summary>
    public static void DefaultHostNetworkPorts(JsonObject spec)
    {
        if (JsonRead.Bool(spec["hostNetwork"]) != true) return;
        foreach (var c in Items(spec, "containers").Concat(Items(spec, "initContainers")))
            foreach (var p in Items(c, "ports"))
                if (IsUnset(p["hostPort"]) || JsonRead.Int(p["hostPort"]) == 0) p["hostPort"] = p["containerPort"]?.DeepClone();
    }

    /// <summary>A pod template: the spec defaults plus the typed serializer's <c>metadata.creationTimestamp: null</c>.</summary>
    public static void DefaultPodTemplate(JsonObject template)
    {
        DefaultTemplateMetadata(template);
        DefaultPodSpec(Object(template, "spec"));
    }

    /// <summary>A template's ObjectMeta is a non-pointer struct: kube-apiserver 1.32 writes it with creationTimestamp null.</summary>
    public static void DefaultTemplateMetadata(JsonObject template)
    {
        var meta = Object(template, "metadata");
        if (!meta.ContainsKey("creationTimestamp")) meta["creationTimestamp"] = null;
    }

    public static void DefaultContainer(JsonObject c)
    {
        if (IsUnsetString(c["imagePullPolicy"]))
            c["imagePullPolicy"] = ImageTag(JsonRead.Str(c["image"]) ?? "") == "latest" ? "Always" : "IfNotPresent";
        String(c, "terminationMessagePath", "/dev/termination-log");
        String(c, "terminationMessagePolicy", "File");
        var resources = Object(c, "resources");
        QuantityValidation.CanonicalizeList(resources["limits"]);
        QuantityValidation.CanonicalizeList(resources["requests"]);
        foreach (var p in Items(c, "ports")) String(p, "protocol", "TCP");
        foreach (var probe in (string[])["livenessProbe", "readinessProbe", "startupProbe"])
            if (c[probe] is JsonObject pr) DefaultProbe(pr);
        if (Child(c, "lifecycle") is { } lc)
            foreach (var h in (string[])["postStart", "preStop"])
                if (Child(lc, h) is { } handler) DefaultHandler(handler);
        foreach (var e in Items(c, "env"))
            if (Child(Child(e, "valueFrom"), "fieldRef") is { } fr) String(fr, "apiVersion", "v1");
    }

    static void DefaultProbe(JsonObject probe)
    {
        Int(probe, "timeoutSeconds", 1);
        Int(probe, "periodSeconds", 10);
        Int(probe, "successThreshold", 1);
        Int(probe, "failureThreshold", 3);
        DefaultHandler(probe);
        if (Child(probe, "grpc") is { } grpc) String(grpc, "service", "");
    }

    static void DefaultHandler(JsonObject handler)
    {
        if (Child(handler, "httpGet") is { } http)
        {
            String(http, "path", "/");
            String(http, "scheme", "HTTP");
        }
    }

    static readonly string[] VolumeSources =
    [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs",
        "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap",
        "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi",
        "ephemeral", "image",
    ];

    /// <summary>SetDefaults_Volume (emptyDir when no source) and the per-source defaults (defaultMode 0644, hostPath type "").</summary>
    public static void DefaultVolume(JsonObject v)
    {
        if (!VolumeSources.Any(s => !IsUnset(v[s]))) v["emptyDir"] = new JsonObject();
        foreach (var s in (string[])["secret", "configMap", "downwardAPI", "projected"])
            if (Child(v, s) is { } src) Int(src, "defaultMode", 420);
        if (Child(v, "hostPath") is { } hp && IsUnset(hp["type"])) hp["type"] = "";
        if (Child(v, "emptyDir") is { } ed && QuantityValidation.Canonicalize(QuantityValidation.Text(ed["sizeLimit"])) is { } size) ed["sizeLimit"] = size;
        if (Child(v, "downwardAPI") is { } dapi)
            foreach (var item in Items(dapi, "items"))
                if (Child(item, "fieldRef") is { } fr) String(fr, "apiVersion", "v1");
        if (Child(v, "projected") is { } proj)
            foreach (var src in Items(proj, "sources"))
            {
                if (Child(src, "serviceAccountToken") is { } sat) Int(sat, "expirationSeconds", 3600);
                if (Child(src, "downwardAPI") is { } pd)
                    foreach (var item in Items(pd, "items"))
                        if (Child(item, "fieldRef") is { } fr) String(fr, "apiVersion", "v1");
            }
        if (Child(v, "iscsi") is { } iscsi) String(iscsi, "iscsiInterface", "default");
        if (Child(v, "rbd") is { } rbd)
        {
            String(rbd, "pool", "rbd");
            String(rbd, "user", "admin");
            String(rbd, "keyring", "/etc/ceph/keyring");
        }
        if (Child(v, "azureDisk") is { } ad)
        {
            String(ad, "cachingMode", "ReadWrite");
            String(ad, "fsType", "ext4");
            Bool(ad, "readOnly", false);
            String(ad, "kind", "Shared");
        }
    }

    /// <summary>The tag ParseImageName reports: "latest" when an image has neither tag nor digest.</summary>
    public static string ImageTag(string image)
    {
        if (image.Length == 0) return "";
        var at = image.IndexOf('@');
        var hasDigest = at >= 0;
        var name = hasDigest ? image[..at] : image;
        var colon = name.LastIndexOf(':');
        var tag = colon > name.LastIndexOf('/') ? name[(colon + 1)..] : "";
        return tag.Length == 0 && !hasDigest ? "latest" : tag;
    }
}
