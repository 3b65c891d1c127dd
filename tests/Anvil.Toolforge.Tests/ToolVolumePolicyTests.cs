using Anvil.ApiServer.Admission;
using static Anvil.Toolforge.Tests.PolicyHarness;

namespace Anvil.Toolforge.Tests;

public sealed class ToolVolumePolicyTests
{
    private const string HomeVolume = "{'name':'home','hostPath':{'path':'/srv/homes/alpha','type':'Directory'}}";
    private const string HomeMount = "{'name':'home','mountPath':'/data/project/alpha'}";
    private const string C = "'name':'c','image':'anvil.local/busybox'";

    [Theory]
    // Every container and init container: the mount, HOME and TOOL_DATA_DIR.
    [InlineData("{" + C + "}", "[" + HomeMount + "]", "[{'name':'HOME','value':'/data/project/alpha'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", null)]
    // HOME set by the pod is kept.
    [InlineData("{" + C + ",'env':[{'name':'HOME','value':'/tmp'}]}", "[" + HomeMount + "]", "[{'name':'HOME','value':'/tmp'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", null)]
    // NO_HOME: no HOME, and no workingDir.
    [InlineData("{" + C + ",'workingDir':'/data/project/alpha/www','env':[{'name':'NO_HOME','value':'1'}]}", "[" + HomeMount + "]", "[{'name':'NO_HOME','value':'1'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", null)]
    // TOOL_DATA_DIR always points at the home.
    [InlineData("{" + C + ",'env':[{'name':'TOOL_DATA_DIR','value':'/elsewhere'}]}", "[" + HomeMount + "]", "[{'name':'HOME','value':'/data/project/alpha'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", null)]
    // A workingDir without NO_HOME stays; something already mounted at the home path is left as it is.
    [InlineData("{" + C + ",'workingDir':'/w','volumeMounts':[{'name':'scratch','mountPath':'/data/project/alpha/'}]}", "[{'name':'scratch','mountPath':'/data/project/alpha/'}]", "[{'name':'HOME','value':'/data/project/alpha'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", "/w")]
    public async Task MountsTheToolsHome(string container, string mounts, string env, string? workingDir)
    {
        var pod = Pod("{'volumes':[{'name':'scratch','emptyDir':{}}],'containers':[" + container + "],'initContainers':[" + container.Replace("'c'", "'i'") + "]}");
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", pod)));
        JsonEqual("[{'name':'scratch','emptyDir':{}}," + HomeVolume + "]", pod["spec"]!["volumes"]);
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var c = pod["spec"]![list]![0]!;
            JsonEqual(mounts, c["volumeMounts"]);
            JsonEqual(env, c["env"]);
            Assert.Equal(workingDir, (string?)c["workingDir"]);
        }
    }

    [Fact]
    public async Task OptOutMountsNothing()
    {
        var pod = Pod(Simple, labels: "{'toolforge.org/mount-storage':'none'}");
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", pod)));
        Assert.Null(pod["spec"]!["volumes"]);
        Assert.Null(pod["spec"]!["containers"]![0]!["volumeMounts"]);
        Assert.Null(pod["spec"]!["containers"]![0]!["env"]);
    }

    [Fact]
    public async Task TheHomeGivenByThePodIsNotAddedTwice()
    {
        var pod = Pod("{'volumes':[" + HomeVolume + "],'containers':[{" + C + ",'volumeMounts':[" + HomeMount + "]}]}", labels: "{'toolforge.org/mount-storage':'all'}");
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", pod)));
        JsonEqual("[" + HomeVolume + "]", pod["spec"]!["volumes"]);
        JsonEqual("[" + HomeMount + "]", pod["spec"]!["containers"]![0]!["volumeMounts"]);
    }

    [Theory]
    [InlineData("{'toolforge.org/mount-storage':'some'}", "[]", "Invalid value for toolforge.org/mount-storage label: \"some\" (must be all or none)")]
    [InlineData("{}", "[{'name':'home','hostPath':{'path':'/var/log'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/var/log")]
    [InlineData("{}", "[{'name':'scratch','emptyDir':{}},{'name':'sneaky-mount','hostPath':{'path':'/var/log'}}]", "No hostPath volumes allowed, got one under /spec/volumes/1 Name:sneaky-mount HostPath:/var/log")]
    [InlineData("{'toolforge.org/mount-storage':'none'}", "[{'name':'root','hostPath':{'path':'/'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:root HostPath:/")]
    [InlineData("{}", "[{'name':'home','hostPath':{'path':'/srv/homes/beta','type':'Directory'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/srv/homes/beta")]
    [InlineData("{}", "[{'name':'home','hostPath':{'path':'/srv/homes/alpha/../beta'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/srv/homes/alpha/../beta")]
    [InlineData("{}", "[{'name':'home','hostPath':{'path':'/srv/homes/alpha','type':'DirectoryOrCreate'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/srv/homes/alpha")]
    [InlineData("{}", "[{'name':'data','hostPath':{'path':'/srv/homes/alpha','type':'Directory'}}]", "No hostPath volumes allowed, got one under /spec/volumes/0 Name:data HostPath:/srv/homes/alpha")]
    [InlineData("{}", "[{'name':'home','emptyDir':{}}]", "Volume name home is reserved for the tool's home (/srv/homes/alpha at /data/project/alpha); use another name or the label toolforge.org/mount-storage: none")]
    [InlineData("{'toolforge.org/mount-storage':'none'}", "[{'name':'home','emptyDir':{}}]", null)]
    [InlineData("{'toolforge.org/mount-storage':'none'}", "[" + HomeVolume + "]", null)]
    public async Task RefusesOtherHostPaths(string labels, string volumes, string? problem)
    {
        Assert.Equal(problem == null ? null : "pods \"p\" is forbidden: " + problem,
            await AdmitAsync(CreatePod("tool-alpha", Pod("{'volumes':" + volumes + ",'containers':[{" + C + "}]}", labels: labels))));
    }

    [Fact]
    public async Task HostPathsOutsideToolNamespacesAreNotThisPolicysBusiness()
    {
        var pod = Pod("{'volumes':[{'name':'logs','hostPath':{'path':'/var/log'}}],'containers':[{" + C + "}]}");
        Assert.Null(await AdmitAsync(CreatePod("default", pod)));
        Assert.Single(pod["spec"]!["volumes"]!.AsArray());
    }

    [Fact]
    public async Task WorkloadTemplatesAreCheckedNotMounted()
    {
        var deployment = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'spec':"
            + "{'volumes':[{'name':'logs','hostPath':{'path':'/var/log'}}],'containers':[{" + C + "}]}}}}");
        Assert.Equal("deployments.apps \"web\" is forbidden: No hostPath volumes allowed, got one under /spec/template/spec/volumes/0 Name:logs HostPath:/var/log",
            await AdmitAsync(Attrs(AdmissionOperation.Create, "apps", "deployments", "tool-alpha", deployment)));
        var job = J("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'j'},'spec':{'template':{'metadata':{'labels':{'toolforge.org/mount-storage':'yes'}},'spec':"
            + "{'containers':[{" + C + "}],'restartPolicy':'Never'}}}}");
        Assert.Equal("jobs.batch \"j\" is forbidden: Invalid value for toolforge.org/mount-storage label: \"yes\" (must be all or none)",
            await AdmitAsync(Attrs(AdmissionOperation.Create, "batch", "jobs", "tool-alpha", job)));
    }
}
