using System.Text.Json.Nodes;
using Anvil.Client;
using static Anvil.Toolforge.Tests.PolicyHarness;

namespace Anvil.Toolforge.Tests;

/// <summary>The policies through the HTTP API of a real server: what a kubectl create gets back and what is stored.</summary>
public sealed class ToolforgePolicyServerTests(PolicyServerFixture server) : IClassFixture<PolicyServerFixture>
{
    private KubeClient Client => server.Client;

    private async Task<string> RejectedAsync(ResourceRef r, string ns, JsonObject obj)
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => Client.CreateAsync(r, ns, obj));
        Assert.Equal(403, e.Code);
        Assert.Equal("Forbidden", e.Reason);
        return e.Message;
    }

    [Fact]
    public async Task APodIsMutatedAndStoredAsTheTool()
    {
        var created = await Client.CreateAsync(PolicyServerFixture.Pods, "tool-alpha", Pod(Simple, name: "ok"));
        var stored = await Client.GetAsync(PolicyServerFixture.Pods, "tool-alpha", "ok");
        foreach (var pod in new[] { created, stored })
        {
            JsonEqual("{'runAsUser':52001,'runAsGroup':52002,'fsGroup':52002,'runAsNonRoot':true,'seccompProfile':{'type':'RuntimeDefault'}}", pod["spec"]!["securityContext"]);
            JsonEqual("[{'name':'home','hostPath':{'path':'/srv/homes/alpha','type':'Directory'}}]", pod["spec"]!["volumes"]);
            var c = pod["spec"]!["containers"]![0]!;
            JsonEqual("[{'name':'home','mountPath':'/data/project/alpha'}]", c["volumeMounts"]);
            JsonEqual("[{'name':'HOME','value':'/data/project/alpha'},{'name':'TOOL_DATA_DIR','value':'/data/project/alpha'}]", c["env"]);
            JsonEqual("{'capabilities':{'drop':['ALL']},'allowPrivilegeEscalation':false,'privileged':false,'runAsNonRoot':true}", c["securityContext"]);
        }
    }

    [Theory]
    [InlineData("tool-alpha", "{'securityContext':{'runAsUser':0},'containers':[{'name':'c','image':'anvil.local/busybox'}]}",
        "pods \"bad\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0")]
    [InlineData("tool-alpha", "{'containers':[{'name':'c','image':'anvil.local/busybox','securityContext':{'privileged':true}}]}",
        "pods \"bad\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/containers/0/securityContext/privileged/: must be false")]
    [InlineData("tool-alpha", "{'volumes':[{'name':'home','hostPath':{'path':'/var/log'}}],'containers':[{'name':'c','image':'anvil.local/busybox'}]}",
        "pods \"bad\" is forbidden: No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/var/log")]
    [InlineData("tool-alpha", "{'initContainers':[{'name':'i','image':'busybox'}],'containers':[{'name':'c','image':'anvil.local/busybox'}]}",
        "pods \"bad\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): [Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=bad Image=busybox]")]
    [InlineData("tool-ghost", "{'containers':[{'name':'c','image':'anvil.local/busybox'}]}",
        "pods \"bad\" is forbidden: no Tool object tools.toolforge.org/ghost for namespace tool-ghost")]
    public async Task PodsBreakingThePolicyAreForbidden(string ns, string spec, string message)
    {
        Assert.Equal(message, await RejectedAsync(PolicyServerFixture.Pods, ns, Pod(spec, name: "bad")));
    }

    [Fact]
    public async Task NamespacesWithoutTheLabelAreNotTools()
    {
        var pod = await Client.CreateAsync(PolicyServerFixture.Pods, "tool-plain",
            Pod("{'securityContext':{'runAsUser':0},'containers':[{'name':'c','image':'busybox'}]}", name: "root"));
        JsonEqual("{'runAsUser':0}", pod["spec"]!["securityContext"]);
        Assert.Null(pod["spec"]!["volumes"]);
    }

    [Fact]
    public async Task GeneratedNamesAppearInTheMessage()
    {
        var pod = J("{'apiVersion':'v1','kind':'Pod','metadata':{'generateName':'root-'},'spec':{'securityContext':{'runAsUser':0},'containers':[{'name':'c','image':'anvil.local/busybox'}]}}");
        Assert.Matches("^pods \"root-[a-z0-9]{5}\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsUser/: ",
            await RejectedAsync(PolicyServerFixture.Pods, "tool-alpha", pod));
    }

    [Fact]
    public async Task WorkloadsAndIngresses()
    {
        var deployment = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'selector':{'matchLabels':{'app':'web'}},"
            + "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'c','image':'anvil.local/web'}]}}}}");
        var created = await Client.CreateAsync(PolicyServerFixture.Deployments, "tool-alpha", deployment);
        Assert.Equal(52001, (long?)created["spec"]!["template"]!["spec"]!["securityContext"]!["runAsUser"]);

        var nginx = (JsonObject)deployment.DeepClone();
        nginx["metadata"]!["name"] = "nginx";
        nginx["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx";
        Assert.Equal("deployments.apps \"nginx\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): [Kind=apps/v1, Kind=Deployment, Namespace=tool-alpha Name=nginx Image=nginx]",
            await RejectedAsync(PolicyServerFixture.Deployments, "tool-alpha", nginx));

        const string backend = "'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{'name':'web','port':{'number':8000}}}}]}";
        await Client.CreateAsync(PolicyServerFixture.Ingresses, "tool-alpha",
            J("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'web'},'spec':{'rules':[{'host':'alpha.localhost'," + backend + "}]}}"));
        Assert.Equal("ingresses.networking.k8s.io \"evil\" is forbidden: Ingress host must be alpha.localhost",
            await RejectedAsync(PolicyServerFixture.Ingresses, "tool-alpha",
                J("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'evil'},'spec':{'rules':[{'host':'alpha.localhost.evil.net'," + backend + "}]}}")));
    }
}
