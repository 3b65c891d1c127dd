using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Selectors;

namespace Anvil.Machinery.Tests;

public sealed class FieldSelectorTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("status.phase=Running,spec.nodeName!=n1", "spec.nodeName!=n1,status.phase=Running")]
    [InlineData("metadata.name==x", "metadata.name=x")]
    [InlineData("a=b\\,c", "a=b\\,c")]
    [InlineData("a=,,b=1", "a=,b=1")]
    [InlineData("a=x\\\\y", "a=x\\\\y")]
    public void ParsesToCanonicalString(string input, string expected) =>
        Assert.Equal(expected, FieldSelector.Parse(input).ToString());

    [Theory]
    [InlineData("a", "invalid selector: 'a'; can't understand 'a'")]
    [InlineData("a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'")]
    [InlineData("a=b\\x", "invalid field selector: invalid escape sequence: \\x")]
    [InlineData("a=b\\", "invalid field selector: invalid escape sequence: \\")]
    [InlineData("a=b=c", "invalid field selector: unescaped character in value: 61")]
    public void ParseErrors(string input, string message)
    {
        var e = Assert.Throws<StatusError>(() => FieldSelector.Parse(input));
        Assert.Equal(400, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void UnescapesValuesAndListsFields()
    {
        var s = FieldSelector.Parse("b=x\\=y,a!=1");
        Assert.Equal(["a", "b"], s.Fields);
        Assert.True(s.Matches(f => f == "b" ? "x=y" : "2"));
        Assert.False(s.Matches(f => f == "b" ? "x=y" : "1"));
        Assert.True(FieldSelector.Parse("spec.nodeName=").Matches(_ => null));
    }

    private static readonly JsonObject Pod = (JsonObject)JsonNode.Parse("""
        {"metadata": {"name": "web-1", "namespace": "tool-a"},
         "spec": {"nodeName": "n1", "restartPolicy": "Always", "serviceAccountName": "default"},
         "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}]}}
        """)!;

    [Theory]
    [InlineData("status.phase=Running", true)]
    [InlineData("status.phase!=Running", false)]
    [InlineData("spec.nodeName=n1,metadata.namespace=tool-a", true)]
    [InlineData("spec.hostNetwork=false", true)]
    [InlineData("status.podIP=10.0.0.5", true)]
    [InlineData("status.nominatedNodeName=", true)]
    [InlineData("metadata.name=web-2", false)]
    public void MatchesPodFields(string selector, bool expected) =>
        Assert.Equal(expected, FieldSelectorFields.Matches("", "Pod", FieldSelector.Parse(selector), Pod));

    [Theory]
    [InlineData("", "Pod", "spec.foo=x", "field label not supported: spec.foo")]
    [InlineData("", "Node", "metadata.namespace=x", "field label not supported: metadata.namespace")]
    [InlineData("", "ConfigMap", "data.x=y", "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")]
    [InlineData("batch", "Job", "status.active=1", "field label \"status.active\" not supported for batchv1.Job")]
    [InlineData("events.k8s.io", "Event", "involvedObject.name=x", "field label not supported: involvedObject.name")]
    public void RejectsUnsupportedFields(string group, string kind, string selector, string message)
    {
        var e = Assert.Throws<StatusError>(() => FieldSelectorFields.Validate(group, kind, FieldSelector.Parse(selector)));
        Assert.Equal(400, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("", "Node", """{"metadata": {"name": "n"}, "spec": {"unschedulable": true}}""", "spec.unschedulable", "true")]
    [InlineData("", "Node", """{"metadata": {"name": "n"}}""", "spec.unschedulable", "false")]
    [InlineData("", "Secret", """{"type": "kubernetes.io/tls"}""", "type", "kubernetes.io/tls")]
    [InlineData("", "Event", """{"source": {"component": "kubelet"}}""", "source", "kubelet")]
    [InlineData("", "Event", """{"reportingComponent": "sched"}""", "source", "sched")]
    [InlineData("", "Event", """{"involvedObject": {"kind": "Pod"}}""", "involvedObject.kind", "Pod")]
    [InlineData("events.k8s.io", "Event", """{"regarding": {"name": "p"}}""", "regarding.name", "p")]
    [InlineData("batch", "Job", """{"status": {"succeeded": 2}}""", "status.successful", "2")]
    [InlineData("apps", "ReplicaSet", """{"status": {}}""", "status.replicas", "0")]
    [InlineData("", "Namespace", """{"status": {"phase": "Terminating"}}""", "status.phase", "Terminating")]
    [InlineData("", "Service", """{"spec": {"type": "NodePort"}}""", "spec.type", "NodePort")]
    [InlineData("certificates.k8s.io", "CertificateSigningRequest", """{"spec": {"signerName": "kubernetes.io/kubelet-serving"}}""", "spec.signerName", "kubernetes.io/kubelet-serving")]
    [InlineData("", "ConfigMap", """{"metadata": {"name": "c", "namespace": "ns"}}""", "metadata.namespace", "ns")]
    public void FieldValuesAreStringifiedLikeUpstream(string group, string kind, string json, string field, string expected) =>
        Assert.Equal(expected, FieldSelectorFields.For(group, kind)[field]((JsonObject)JsonNode.Parse(json)!));
}
