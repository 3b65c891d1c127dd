using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Tests.Validation;

public sealed class ObjectMetaValidationTests
{
    static List<string> Validate(string meta, bool namespaced = true, NameRule rule = NameRule.Dns1123Subdomain) =>
        ObjectMetaValidation.ValidateObjectMeta(JsonNode.Parse(meta)!.AsObject(), namespaced, rule).Select(e => e.ToString()).ToList();

    [Theory]
    [InlineData("""{"namespace":"default"}""", "metadata.name: Required value: name or generateName is required")]
    [InlineData("""{"name":"Foo","namespace":"default"}""", "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    [InlineData("""{"name":"x"}""", "metadata.namespace: Required value")]
    [InlineData("""{"name":"x","namespace":"Bad_NS"}""", "metadata.namespace: Invalid value: \"Bad_NS\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("""{"name":"x","namespace":"default","generation":-1}""", "metadata.generation: Invalid value: -1: must be greater than or equal to 0")]
    [InlineData("""{"name":"x","namespace":"default","labels":{"a":"b c"}}""", "metadata.labels: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    [InlineData("""{"name":"x","namespace":"default","labels":{"-a":"b"}}""", "metadata.labels: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("""{"name":"x","namespace":"default","annotations":{"a/b/c":"x"}}""", "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    [InlineData("""{"name":"x","namespace":"default","finalizers":["custom"]}""", "metadata.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified")]
    [InlineData("""{"name":"x","namespace":"default","finalizers":["example.com/f","example.com/f"]}""", "metadata.finalizers: Duplicate value: \"example.com/f\"")]
    [InlineData("""{"name":"x","namespace":"default","finalizers":["orphan","foregroundDeletion"]}""", "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set")]
    [InlineData("""{"name":"x","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs"}]}""", "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty")]
    [InlineData("""{"name":"x","namespace":"default","ownerReferences":[{"apiVersion":"","kind":"ReplicaSet","name":"rs","uid":"1"}]}""", "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty")]
    [InlineData("""{"name":"x","namespace":"default","ownerReferences":[{"apiVersion":"v1","kind":"A","name":"a","uid":"1","controller":true},{"apiVersion":"v1","kind":"B","name":"b","uid":"2","controller":true}]}""", "Only one reference can have Controller set to true. Found \"true\" in references for A/a and B/b")]
    public void InvalidMetadata(string meta, string expected)
    {
        var errors = Validate(meta);
        Assert.Contains(errors, e => e == expected || e.EndsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ClusterScopedKindsRejectANamespace() =>
        Assert.Equal(["metadata.namespace: Forbidden: not allowed on this type"], Validate("""{"name":"x","namespace":"default"}""", namespaced: false));

    [Fact]
    public void GenerateNameMayEndWithADash()
    {
        Assert.Empty(Validate("""{"name":"web-x7k2p","generateName":"web-","namespace":"default"}"""));
        Assert.Equal(["metadata.generateName: Invalid value: \"Web-\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            Validate("""{"name":"web-x","generateName":"Web-","namespace":"default"}"""));
    }

    [Fact]
    public void AnnotationsAreLimitedTo256KiB()
    {
        var meta = new JsonObject { ["name"] = "x", ["namespace"] = "default", ["annotations"] = new JsonObject { ["big"] = new string('x', 262141) } };
        Assert.Empty(ObjectMetaValidation.ValidateObjectMeta(meta, true, NameRule.Dns1123Subdomain));
        meta["annotations"]!["big"] = new string('x', 262142);
        meta["annotations"]!["c"] = "y";
        Assert.Equal(["metadata.annotations: Too long: may not be more than 262144 bytes"],
            ObjectMetaValidation.ValidateObjectMeta(meta, true, NameRule.Dns1123Subdomain).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("name", "\"y\"", "metadata.name: Invalid value: \"y\": field is immutable")]
    [InlineData("namespace", "\"other\"", "metadata.namespace: Invalid value: \"other\": field is immutable")]
    [InlineData("uid", "\"2\"", "metadata.uid: Invalid value: \"2\": field is immutable")]
    [InlineData("creationTimestamp", "\"2025-01-01T00:00:00Z\"", "metadata.creationTimestamp: Invalid value: \"2025-01-01T00:00:00Z\": field is immutable")]
    [InlineData("generation", "1", "metadata.generation: Invalid value: 1: must not be decremented")]
    [InlineData("resourceVersion", "\"\"", "metadata.resourceVersion: Invalid value: \"\": must be specified for an update")]
    public void ImmutableOnUpdate(string field, string value, string expected)
    {
        var old = JsonNode.Parse("""{"name":"x","namespace":"default","uid":"1","creationTimestamp":"2024-01-01T00:00:00Z","resourceVersion":"7","generation":2}""")!.AsObject();
        var updated = old.DeepClone().AsObject();
        updated[field] = JsonNode.Parse(value);
        Assert.Equal([expected], ObjectMetaValidation.ValidateObjectMetaUpdate(updated, old).Select(e => e.ToString()));
        Assert.Empty(ObjectMetaValidation.ValidateObjectMetaUpdate(old.DeepClone().AsObject(), old));
    }

    [Fact]
    public void NoNewFinalizersWhileDeleting()
    {
        var old = JsonNode.Parse("""{"name":"x","resourceVersion":"1","deletionTimestamp":"2024-01-01T00:00:00Z","finalizers":["a.io/x"]}""")!.AsObject();
        var updated = old.DeepClone().AsObject();
        updated["finalizers"]!.AsArray().Add("b.io/y");
        Assert.Equal(["metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b.io/y\"}"],
            ObjectMetaValidation.ValidateObjectMetaUpdate(updated, old).Select(e => e.ToString()));
    }
}
