using Anvil.ApiServer.Admission;
using static Anvil.Toolforge.Tests.PolicyHarness;

namespace Anvil.Toolforge.Tests;

public sealed class ToolPodPolicyTests
{
    private const string Rule = "pods \"p\" is forbidden: rule toolforge-validate-pod-policy failed at path ";
    private const string C = "'name':'c','image':'anvil.local/busybox'";

    [Theory]
    [InlineData("{'securityContext':{'runAsUser':0},'containers':[{" + C + "}]}", "/spec/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0")]
    [InlineData("{'securityContext':{'runAsUser':52003},'containers':[{" + C + "}]}", "/spec/securityContext/runAsUser/: must be 52001 (the tool's uid), got 52003")]
    [InlineData("{'securityContext':{'runAsGroup':0},'containers':[{" + C + "}]}", "/spec/securityContext/runAsGroup/: must be 52002 (the tool's gid), got 0")]
    [InlineData("{'securityContext':{'fsGroup':0},'containers':[{" + C + "}]}", "/spec/securityContext/fsGroup/: must be 52002 (the tool's gid), got 0")]
    [InlineData("{'securityContext':{'runAsNonRoot':false},'containers':[{" + C + "}]}", "/spec/securityContext/runAsNonRoot/: must be true")]
    [InlineData("{'securityContext':{'seccompProfile':{'type':'Unconfined'}},'containers':[{" + C + "}]}", "/spec/securityContext/seccompProfile/type/: must be RuntimeDefault, got Unconfined")]
    [InlineData("{'securityContext':{'supplementalGroups':[0]},'containers':[{" + C + "}]}", "/spec/securityContext/supplementalGroups/0/: must be between 1 and 65535, got 0")]
    [InlineData("{'securityContext':{'supplementalGroups':[100,65536]},'containers':[{" + C + "}]}", "/spec/securityContext/supplementalGroups/1/: must be between 1 and 65535, got 65536")]
    [InlineData("{'securityContext':{'sysctls':[{'name':'net.ipv4.ip_forward','value':'1'}]},'containers':[{" + C + "}]}", "/spec/securityContext/sysctls/: sysctls are not allowed")]
    [InlineData("{'securityContext':{'seLinuxOptions':{'type':'spc_t'}},'containers':[{" + C + "}]}", "/spec/securityContext/seLinuxOptions/type/: must be one of container_t, container_init_t, container_kvm_t, container_engine_t")]
    [InlineData("{'hostNetwork':true,'containers':[{" + C + "}]}", "/spec/hostNetwork/: host namespaces are not allowed")]
    [InlineData("{'hostPID':true,'containers':[{" + C + "}]}", "/spec/hostPID/: host namespaces are not allowed")]
    [InlineData("{'hostIPC':true,'containers':[{" + C + "}]}", "/spec/hostIPC/: host namespaces are not allowed")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'privileged':true}}]}", "/spec/containers/0/securityContext/privileged/: must be false")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'allowPrivilegeEscalation':true}}]}", "/spec/containers/0/securityContext/allowPrivilegeEscalation/: must be false")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'capabilities':{'add':['NET_ADMIN','SYS_TIME']}}}]}", "/spec/containers/0/securityContext/capabilities/add/: must be empty, got [NET_ADMIN SYS_TIME]")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'capabilities':{'add':['SYS_ADMIN']}}}]}", "/spec/containers/0/securityContext/capabilities/add/: must be empty, got [SYS_ADMIN]")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'runAsNonRoot':false}}]}", "/spec/containers/0/securityContext/runAsNonRoot/: must be true")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'runAsUser':0}}]}", "/spec/containers/0/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'runAsGroup':0}}]}", "/spec/containers/0/securityContext/runAsGroup/: must be 52002 (the tool's gid), got 0")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'seccompProfile':{'type':'Localhost','localhostProfile':'x.json'}}}]}", "/spec/containers/0/securityContext/seccompProfile/type/: must be RuntimeDefault, got Localhost")]
    [InlineData("{'containers':[{" + C + ",'securityContext':{'appArmorProfile':{'type':'Unconfined'}}}]}", "/spec/containers/0/securityContext/appArmorProfile/type/: must not be Unconfined")]
    [InlineData("{'containers':[{" + C + ",'ports':[{'containerPort':80,'hostPort':8080}]}]}", "/spec/containers/0/ports/0/hostPort/: host ports are not allowed")]
    [InlineData("{'initContainers':[{'name':'i','image':'anvil.local/busybox','securityContext':{'procMount':'Unmasked'}}],'containers':[{" + C + "}]}", "/spec/initContainers/0/securityContext/procMount/: must not be Unmasked")]
    [InlineData("{'initContainers':[{'name':'i','image':'anvil.local/busybox','securityContext':{'privileged':true}}],'containers':[{" + C + "}]}", "/spec/initContainers/0/securityContext/privileged/: must be false")]
    [InlineData("{'volumes':[{'name':'n','nfs':{'server':'nfs.example','path':'/'}}],'containers':[{" + C + "}]}", "/spec/volumes/0/nfs/: volume type nfs is not allowed")]
    public async Task RefusesPodsThatBreakThePolicy(string spec, string violation)
    {
        Assert.Equal(Rule + violation, await AdmitAsync(CreatePod("tool-alpha", Pod(spec))));
    }

    [Fact]
    public async Task ReportsEveryViolation()
    {
        var message = await AdmitAsync(CreatePod("tool-alpha", Pod(
            "{'hostPID':true,'securityContext':{'runAsUser':0},'containers':[{" + C + ",'securityContext':{'privileged':true}}]}")));
        Assert.Equal("pods \"p\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/hostPID/: host namespaces are not allowed; "
            + "rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0; "
            + "rule toolforge-validate-pod-policy failed at path /spec/containers/0/securityContext/privileged/: must be false", message);
    }

    [Theory]
    [InlineData("tool-ghost", "pods \"p\" is forbidden: no Tool object tools.toolforge.org/ghost for namespace tool-ghost")]
    [InlineData("tool-off", "pods \"p\" is forbidden: tool \"off\" is disabled")]
    [InlineData("misnamed", "pods \"p\" is forbidden: namespace misnamed is labelled tenancy=tool but its name does not start with \"tool-\"")]
    [InlineData("default", null)]
    [InlineData("kube-system", null)]
    public async Task ToolNamespacesNeedTheirTool(string ns, string? expected)
    {
        Assert.Equal(expected, await AdmitAsync(CreatePod(ns, Pod(Simple))));
    }

    [Fact]
    public async Task FillsTheToolsIdentityAndHardening()
    {
        var pod = Pod("{'containers':[{'name':'c','image':'anvil.local/busybox'},"
            + "{'name':'d','image':'anvil.local/busybox','securityContext':{'runAsUser':52001,'capabilities':{'drop':['NET_RAW']}}}],"
            + "'initContainers':[{'name':'i','image':'anvil.local/busybox','securityContext':{'allowPrivilegeEscalation':false,'runAsNonRoot':true}}]}",
            labels: "{'toolforge.org/mount-storage':'none'}");
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", pod)));
        JsonEqual("{'runAsUser':52001,'runAsGroup':52002,'fsGroup':52002,'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}}",
            pod["spec"]!["securityContext"]);
        const string hardened = "{'capabilities':{'drop':['ALL']},'allowPrivilegeEscalation':false,'privileged':false,'runAsNonRoot':true}";
        JsonEqual(hardened, pod["spec"]!["containers"]![0]!["securityContext"]);
        JsonEqual("{'runAsUser':52001,'capabilities':{'drop':['NET_RAW','ALL']},'allowPrivilegeEscalation':false,'privileged':false,'runAsNonRoot':true}",
            pod["spec"]!["containers"]![1]!["securityContext"]);
        JsonEqual(hardened, pod["spec"]!["initContainers"]![0]!["securityContext"]);
    }

    [Fact]
    public async Task LeavesPodsOutsideToolNamespacesAlone()
    {
        var pod = Pod("{'securityContext':{'runAsUser':0},'containers':[{'name':'c','image':'busybox','securityContext':{'privileged':true}}]}");
        var before = pod.DeepClone();
        Assert.Null(await AdmitAsync(CreatePod("default", pod)));
        JsonEqual(before.ToJsonString(), pod);
    }

    [Fact]
    public async Task MutatesAndChecksWorkloadTemplates()
    {
        var deployment = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'metadata':{'labels':{'app':'web'}},'spec':"
            + Simple + "}}}");
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Create, "apps", "deployments", "tool-alpha", deployment)));
        Assert.Equal(52001, (long?)deployment["spec"]!["template"]!["spec"]!["securityContext"]!["runAsUser"]);
        Assert.Equal("ALL", (string?)deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["securityContext"]!["capabilities"]!["drop"]![0]);
        Assert.Null(deployment["spec"]!["template"]!["spec"]!["volumes"]); // the home is a pod's, added when the pod is created

        var privileged = J("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'nightly'},'spec':{'schedule':'@daily','jobTemplate':{'spec':{'template':{'spec':"
            + "{'containers':[{" + C + ",'securityContext':{'privileged':true}}]}}}}}}");
        Assert.Equal("cronjobs.batch \"nightly\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged/: must be false",
            await AdmitAsync(Attrs(AdmissionOperation.Create, "batch", "cronjobs", "tool-alpha", privileged)));
    }

    [Fact]
    public async Task UpdatesThatKeepThePodSpecAreNotChecked()
    {
        // An old non-compliant pod (say, from before the namespace was a tool's) can still lose its finalizers.
        var old = Pod("{'securityContext':{'runAsUser':0},'containers':[{" + C + "}]}");
        var updated = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        updated["metadata"]!["labels"] = J("{'x':'y'}");
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", updated, old)));
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", updated, old, "status")));
    }

    [Fact]
    public async Task PodUpdatesAreCheckedButNotMutated()
    {
        // A pod from before the policy: its image may change (the one mutable field), the rest is not filled in.
        var old = Pod("{'containers':[{" + C + "}]}");
        var updated = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        updated["spec"]!["containers"]![0]!["image"] = "anvil.local/busybox:2";
        Assert.Equal(Rule + "/spec/securityContext/runAsUser/: must be 52001 (the tool's uid); "
            + "rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsGroup/: must be 52002 (the tool's gid); "
            + "rule toolforge-validate-pod-policy failed at path /spec/securityContext/fsGroup/: must be 52002 (the tool's gid); "
            + "rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsNonRoot/: must be true; "
            + "rule toolforge-validate-pod-policy failed at path /spec/securityContext/seccompProfile/type/: must be RuntimeDefault; "
            + "rule toolforge-validate-pod-policy failed at path /spec/containers/0/securityContext/allowPrivilegeEscalation/: must be false; "
            + "rule toolforge-validate-pod-policy failed at path /spec/containers/0/securityContext/capabilities/drop/: must contain ALL",
            await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", updated, old)));
        Assert.Null(updated["spec"]!["securityContext"]);
    }

    [Fact]
    public async Task EphemeralContainersAreHardenedAndChecked()
    {
        var old = Pod(Simple);
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", old)));
        var debug = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        debug["spec"]!["ephemeralContainers"] = J("{'a':[{'name':'debug','image':'anvil.local/busybox'}]}")["a"]!.DeepClone();
        var podContext = debug["spec"]!["securityContext"]!.ToJsonString();
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", debug, old, "ephemeralcontainers")));
        JsonEqual("{'capabilities':{'drop':['ALL']},'allowPrivilegeEscalation':false,'privileged':false,'runAsNonRoot':true}",
            debug["spec"]!["ephemeralContainers"]![0]!["securityContext"]);
        Assert.Equal(podContext, debug["spec"]!["securityContext"]!.ToJsonString());
        Assert.Null(debug["spec"]!["ephemeralContainers"]![0]!["volumeMounts"]);

        var root = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        root["spec"]!["ephemeralContainers"] = J("{'a':[{'name':'debug','image':'anvil.local/busybox','securityContext':{'runAsUser':0}}]}")["a"]!.DeepClone();
        Assert.Equal(Rule + "/spec/ephemeralContainers/0/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0",
            await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", root, old, "ephemeralcontainers")));
    }
}
