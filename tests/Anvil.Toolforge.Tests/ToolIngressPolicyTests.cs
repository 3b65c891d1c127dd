using Anvil.ApiServer.Admission;
using Anvil.Toolforge.Policy;
using static Anvil.Toolforge.Tests.PolicyHarness;

namespace Anvil.Toolforge.Tests;

public sealed class ToolIngressPolicyTests
{
    private const string Backend = "'http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{'name':'web','port':{'number':8000}}}}]}";

    private static System.Text.Json.Nodes.JsonObject Ingress(string spec) =>
        J("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'web'},'spec':" + spec + "}");

    [Theory]
    [InlineData("{'rules':[{'host':'alpha.localhost'," + Backend + "}]}", null)]
    [InlineData("{'rules':[{'host':'alpha.localhost'," + Backend + "}],'tls':[{'hosts':['alpha.localhost'],'secretName':'t'}]}", null)]
    [InlineData("{'rules':[{'host':'alpha.localhost.evil.net'," + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{'host':'beta.localhost'," + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{'host':'alphaxlocalhost'," + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{'host':'*.alpha.localhost'," + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{" + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{'host':'alpha.localhost'," + Backend + "},{'host':'www.example.org'," + Backend + "}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'rules':[{'host':'alpha.localhost'," + Backend + "}],'tls':[{'hosts':['beta.localhost'],'secretName':'t'}]}", "Ingress host must be alpha.localhost")]
    [InlineData("{'defaultBackend':{'service':{'name':'web','port':{'number':8000}}}}", "Ingress defaultBackend is not allowed, it catches every host: Ingress host must be alpha.localhost")]
    public async Task HostMustBeTheToolsOwn(string spec, string? problem)
    {
        Assert.Equal(problem, ToolIngressPolicy.Problem(J(spec), "alpha", "localhost"));
        Assert.Equal(problem == null ? null : "ingresses.networking.k8s.io \"web\" is forbidden: " + problem,
            await AdmitAsync(Attrs(AdmissionOperation.Create, "networking.k8s.io", "ingresses", "tool-alpha", Ingress(spec))));
    }

    [Fact]
    public async Task OtherNamespacesAndUnchangedSpecsPass()
    {
        var foreign = Ingress("{'rules':[{'host':'www.example.org'," + Backend + "}]}");
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Create, "networking.k8s.io", "ingresses", "default", foreign)));
        // An ingress from before a domain change keeps taking metadata and status updates.
        var relabelled = (System.Text.Json.Nodes.JsonObject)foreign.DeepClone();
        relabelled["metadata"]!["labels"] = J("{'a':'b'}");
        Assert.Null(await AdmitAsync(Attrs(AdmissionOperation.Update, "networking.k8s.io", "ingresses", "tool-alpha", relabelled, foreign)));
        var moved = (System.Text.Json.Nodes.JsonObject)foreign.DeepClone();
        moved["spec"]!["rules"]![0]!["host"] = "www.example.net";
        Assert.Equal("ingresses.networking.k8s.io \"web\" is forbidden: Ingress host must be alpha.localhost",
            await AdmitAsync(Attrs(AdmissionOperation.Update, "networking.k8s.io", "ingresses", "tool-alpha", moved, foreign)));
    }
}
