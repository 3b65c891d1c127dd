using System.Text;
using Anvil.Machinery.Protobuf;
using W = Anvil.Machinery.Tests.ProtoTestWriter;

namespace Anvil.Machinery.Tests;

public sealed class ProtoSchemaTests
{
    [Theory]
    [InlineData("v1", "Namespace", "k8s.io.api.core.v1.Namespace")]
    [InlineData("apps/v1", "Deployment", "k8s.io.api.apps.v1.Deployment")]
    [InlineData("batch/v1", "Job", "k8s.io.api.batch.v1.Job")]
    [InlineData("networking.k8s.io/v1", "Ingress", "k8s.io.api.networking.v1.Ingress")]
    [InlineData("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "k8s.io.api.rbac.v1.ClusterRoleBinding")]
    [InlineData("authorization.k8s.io/v1", "SelfSubjectAccessReview", "k8s.io.api.authorization.v1.SelfSubjectAccessReview")]
    [InlineData("authentication.k8s.io/v1", "SelfSubjectReview", "k8s.io.api.authentication.v1.SelfSubjectReview")]
    [InlineData("authentication.k8s.io/v1", "TokenRequest", "k8s.io.api.authentication.v1.TokenRequest")]
    [InlineData("certificates.k8s.io/v1", "CertificateSigningRequest", "k8s.io.api.certificates.v1.CertificateSigningRequest")]
    [InlineData("coordination.k8s.io/v1", "Lease", "k8s.io.api.coordination.v1.Lease")]
    [InlineData("events.k8s.io/v1", "Event", "k8s.io.api.events.v1.Event")]
    [InlineData("policy/v1", "Eviction", "k8s.io.api.policy.v1.Eviction")]
    [InlineData("autoscaling/v2", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler")]
    [InlineData("autoscaling/v1", "Scale", "k8s.io.api.autoscaling.v1.Scale")]
    [InlineData("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "k8s.io.api.admissionregistration.v1.ValidatingWebhookConfiguration")]
    [InlineData("storage.k8s.io/v1", "StorageClass", "k8s.io.api.storage.v1.StorageClass")]
    [InlineData("scheduling.k8s.io/v1", "PriorityClass", "k8s.io.api.scheduling.v1.PriorityClass")]
    [InlineData("discovery.k8s.io/v1", "EndpointSlice", "k8s.io.api.discovery.v1.EndpointSlice")]
    [InlineData("node.k8s.io/v1", "RuntimeClass", "k8s.io.api.node.v1.RuntimeClass")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "k8s.io.api.flowcontrol.v1.FlowSchema")]
    [InlineData("apiextensions.k8s.io/v1", "CustomResourceDefinition", "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition")]
    [InlineData("apiregistration.k8s.io/v1", "APIService", "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIService")]
    [InlineData("v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions")]
    [InlineData("meta.k8s.io/v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions")]
    [InlineData("apps/v1", "DeleteOptions", "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions")]
    [InlineData("v1", "Status", "k8s.io.apimachinery.pkg.apis.meta.v1.Status")]
    [InlineData("v1", "PodSpec", null)]
    [InlineData("apps/v2", "Deployment", null)]
    [InlineData("example.com/v1", "DeleteOptions", null)]
    [InlineData("v1", "Deployment", null)]
    public void MessageForKind(string apiVersion, string kind, string? expected)
    {
        Assert.Equal(expected, ProtoSchema.Default.MessageNameFor(apiVersion, kind));
    }

    [Fact]
    public void EveryPointerFieldEntryNamesAScalarFieldOfTheTable()
    {
        Assert.Empty(ProtoSchema.Default.UnmatchedPointerEntries);
    }

    [Theory]
    [InlineData("k8s.io.api.apps.v1.DeploymentSpec", "replicas", true)]       // *int32
    [InlineData("k8s.io.api.apps.v1.DeploymentSpec", "minReadySeconds", false)]
    [InlineData("k8s.io.api.networking.v1.IngressClassParametersReference", "aPIGroup", true)] // listed by its JSON name
    [InlineData("k8s.io.api.discovery.v1.EndpointPort", "port", true)]
    [InlineData("k8s.io.api.core.v1.EndpointPort", "name", false)]           // qualified entry does not leak to core
    [InlineData("k8s.io.api.core.v1.EndpointPort", "port", true)]            // required: Go always emits it
    [InlineData("k8s.io.api.scheduling.v1.PriorityClass", "value", true)]    // required
    [InlineData("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "generation", false)]
    public void KeepZero(string message, string field, bool keep)
    {
        var f = ProtoSchema.Default.Messages[message].Fields.Values.Single(x => x.Name == field);
        Assert.Equal(keep, f.KeepZero);
    }

    [Fact]
    public void LoadsACustomTableWithADuration()
    {
        const string table = """
            {"messages":{
              "k8s.io.api.demo.v1.Timer":{"package":"k8s.io.api.demo.v1","name":"Timer","goKind":"struct",
                "jsonOnlyGoFields":[{"goName":"TypeMeta"}],
                "fields":[{"number":1,"name":"every","type":"k8s.io.apimachinery.pkg.apis.meta.v1.Duration","label":"optional","goName":"Every"},
                          {"number":2,"name":"count","type":"int32","label":"optional","goName":"Count"}]},
              "k8s.io.apimachinery.pkg.apis.meta.v1.Duration":{"package":"k8s.io.apimachinery.pkg.apis.meta.v1","name":"Duration","goKind":"struct",
                "fields":[{"number":1,"name":"duration","type":"int64","label":"optional","goName":"Duration"}]}}}
            """;
        var schema = ProtoSchema.Load(new MemoryStream(Encoding.UTF8.GetBytes(table)), ["k8s.io.api.demo.v1.Timer.count"]);
        var body = W.Envelope("demo.k8s.io/v1", "Timer", new W().Message(1, d => d.Int(1, 90_000_000_000)).Int(2, 0));

        JsonAssert.Equal("""{"apiVersion":"demo.k8s.io/v1","kind":"Timer","every":"1m30s","count":0}""", KubeProtobuf.Decode(body, schema));
    }
}
