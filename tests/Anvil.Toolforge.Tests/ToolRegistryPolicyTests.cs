using Anvil.ApiServer.Admission;
using Anvil.Toolforge.Policy;
using static Anvil.Toolforge.Tests.PolicyHarness;

namespace Anvil.Toolforge.Tests;

public sealed class ToolRegistryPolicyTests
{
    private const string Denied = "pods \"p\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): ";

    [Theory]
    [InlineData("anvil.local/busybox", true)]
    [InlineData("anvil.local/toolforge/python:3.11@sha256:abc", true)]
    [InlineData("busybox", false)]
    [InlineData("anvil.local", false)]
    [InlineData("anvil.local/", false)]
    [InlineData("anvil.local.evil.net/busybox", false)]
    [InlineData("evil.net/anvil.local/busybox", false)]
    [InlineData("docker.io/library/busybox", false)]
    public void ImagesComeFromAnAllowedRegistry(string image, bool allowed)
    {
        Assert.Equal(allowed, ToolRegistryPolicy.Allowed(image, ["anvil.local"]));
    }

    [Theory]
    [InlineData("{'containers':[{'name':'c','image':'anvil.local/busybox:1.36'}]}", null)]
    [InlineData("{'containers':[{'name':'c','image':'busybox'}]}", "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=busybox]")]
    [InlineData("{'containers':[{'name':'c','image':'anvil.local.evil.net/busybox'}]}", "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=anvil.local.evil.net/busybox]")]
    [InlineData("{'initContainers':[{'name':'i','image':'docker.io/library/busybox'}],'containers':[{'name':'c','image':'anvil.local/busybox'}]}",
        "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=docker.io/library/busybox]")]
    [InlineData("{'containers':[{'name':'c','image':'busybox'},{'name':'d','image':'anvil.local/busybox'},{'name':'e','image':'nginx'}]}",
        "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=busybox Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=nginx]")]
    public async Task PodImages(string spec, string? offending)
    {
        Assert.Equal(offending == null ? null : Denied + offending, await AdmitAsync(CreatePod("tool-alpha", Pod(spec))));
    }

    [Fact]
    public async Task OnlyToolNamespacesAreRestricted()
    {
        Assert.Null(await AdmitAsync(CreatePod("default", Pod("{'containers':[{'name':'c','image':'nginx'}]}"))));
    }

    [Theory]
    [InlineData("hub.docker.io/example:foobar", "deployments.apps \"web\" is forbidden: The following container images did not match any of the allowed registries ([docker-registry.tools.wmflabs.org anvil.local]): [Kind=apps/v1, Kind=Deployment, Namespace=tool-alpha Name=web Image=hub.docker.io/example:foobar]")]
    [InlineData("anvil.local/toolforge-python39-sssd-web:latest", null)]
    [InlineData("docker-registry.tools.wmflabs.org/toolforge-python39-sssd-web:latest", null)]
    public async Task DeploymentTemplatesWithSeveralRegistries(string image, string? expected)
    {
        var options = Options with { AllowedRegistries = ["docker-registry.tools.wmflabs.org", "anvil.local"] };
        var deployment = J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'c','image':'"
            + image + "'}]}}}}");
        Assert.Equal(expected, await AdmitAsync(Attrs(AdmissionOperation.Create, "apps", "deployments", "tool-alpha", deployment), options: options));
    }

    [Fact]
    public async Task ImageUpdatesAndEphemeralContainersAreChecked()
    {
        var old = Pod(Simple);
        Assert.Null(await AdmitAsync(CreatePod("tool-alpha", old)));
        var updated = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        updated["spec"]!["containers"]![0]!["image"] = "nginx";
        Assert.Equal(Denied + "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=nginx]",
            await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", updated, old)));

        var debug = (System.Text.Json.Nodes.JsonObject)old.DeepClone();
        debug["spec"]!["ephemeralContainers"] = J("{'a':[{'name':'debug','image':'nicolaka/netshoot'}]}")["a"]!.DeepClone();
        Assert.Equal(Denied + "[Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=p Image=nicolaka/netshoot]",
            await AdmitAsync(Attrs(AdmissionOperation.Update, "", "pods", "tool-alpha", debug, old, "ephemeralcontainers")));
    }
}
