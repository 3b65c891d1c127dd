using System.Text;
using Anvil.Machinery.FieldValidation;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Tests;

public sealed class FieldValidatorTests
{
    private static IReadOnlyList<string> Check(string json, string apiVersion, string kind) =>
        FieldValidator.Check(Encoding.UTF8.GetBytes(json), TestJson.Kind(apiVersion, kind));

    [Theory]
    [InlineData("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"replicas":1}}""", "")]
    [InlineData("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"foo":1}}""", "unknown field \"spec.foo\"")]
    [InlineData("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","name":"y"}}""", "duplicate field \"metadata.name\"")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b","foo":1,"imagee":"x"}]}}}}""",
        "unknown field \"spec.template.spec.containers[1].foo\"|unknown field \"spec.template.spec.containers[1].imagee\"")]
    [InlineData("""{"metadata":{"labels":{"a":"1","a":"2"},"annotations":{"x/y":"1"}}}""", "duplicate field \"metadata.labels.a\"")]
    [InlineData("""{"metadata":{"labels":{"a":"1"},"labelz":{}},"spec":{"foo":1},"extra":true}""",
        "unknown field \"metadata.labelz\"|unknown field \"spec.foo\"|unknown field \"extra\"")]
    // An unknown field's content is not looked at; the same unknown field twice is reported once.
    [InlineData("""{"spec":{"foo":{"bar":1,"bar":2},"foo":1}}""", "unknown field \"spec.foo\"")]
    // IntOrString and quantities are scalars; objects inside RawExtension/FieldsV1 are not checked.
    [InlineData("""{"spec":{"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},"template":{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1"}}}]}}},"metadata":{"managedFields":[{"fieldsV1":{"f:a":{},"f:a":{}}}]}}""", "")]
    [InlineData("""{"kind":"Deployment","kind":"Deployment"}""", "duplicate field \"kind\"")]
    [InlineData("""{"spec":{"Replicas":1}}""", "unknown field \"spec.Replicas\"")]
    [InlineData("""{"metadata":{"na\"me":"x"}}""", "unknown field \"metadata.na\\\"me\"")]
    public void Check_Deployment(string json, string expected)
    {
        var problems = Check(json, "apps/v1", "Deployment");
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|'), problems);
    }

    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"1","a":"2"},"binaryData":{},"immutable":false}""", "duplicate field \"data.a\"")]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","date":{"a":"1"}}""", "unknown field \"date\"")]
    public void Check_ConfigMap(string json, string expected) =>
        Assert.Equal(expected.Split('|'), Check(json, "v1", "ConfigMap"));

    [Fact]
    public void Check_CustomResource_ReportsDuplicatesThenSortedUnknowns()
    {
        var schema = SchemaRegistry.FromStandalone(TestJson.Obj("""
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{
                "size":{"type":"integer"},
                "items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}},
                "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
                "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true}}}}}
            """));
        var objectMeta = TestJson.Registry.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        var json = """
            {"apiVersion":"x.io/v1","kind":"Thing","metadata":{"name":"a","bogus":1},
             "spec":{"zeta":1,"size":1,"items":[{"name":"a","extra":1}],"free":{"k":1,"k":2},"alpha":{"a":1,"a":2},
               "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}},"spec":{}}
            """;
        var problems = FieldValidator.Check(Encoding.UTF8.GetBytes(json), schema, objectMeta, customResource: true);
        Assert.Equal([
            "duplicate field \"spec.free.k\"",
            "duplicate field \"spec.alpha.a\"",
            "duplicate field \"spec\"",
            "unknown field \"metadata.bogus\"",
            "unknown field \"spec.alpha\"",
            "unknown field \"spec.items[0].extra\"",
            "unknown field \"spec.zeta\"",
        ], problems);
    }

    [Fact]
    public void StrictError_IsTheCreateHandlersBadRequest()
    {
        var e = FieldValidator.StrictError(new GroupVersionKind("apps", "v1", "Deployment"), "Deployment",
            ["unknown field \"spec.foo\"", "duplicate field \"metadata.name\""]);
        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\", duplicate field \"metadata.name\"", e.Message);
    }

    [Fact]
    public void StrictPatchError_IsThePatchHandlersInvalid()
    {
        var e = FieldValidator.StrictPatchError("""{"spec":{"foo":1}}""", ["unknown field \"spec.foo\""]);
        Assert.Equal(422, e.Code);
        Assert.Equal(" \"\" is invalid: patch: Invalid value: \"{\\\"spec\\\":{\\\"foo\\\":1}}\": strict decoding error: unknown field \"spec.foo\"", e.Message);
    }

    [Fact]
    public void Warnings_SplitMultiLineYamlErrors()
    {
        var warnings = FieldValidator.Warnings(["unknown field \"spec.foo\"", "error converting YAML to JSON: yaml: unmarshal errors:\n  line 3: key \"a\" already set in map"]);
        Assert.Equal(["unknown field \"spec.foo\"", "error converting YAML to JSON: yaml: unmarshal errors:", "  line 3: key \"a\" already set in map"], warnings);
    }

    [Fact]
    public void CheckYaml_PutsTheYamlDuplicateErrorFirst()
    {
        var yaml = "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"1\"\n  a: \"2\"\nfoo: 1\n";
        var problems = FieldValidator.CheckYaml(yaml, TestJson.Kind("v1", "ConfigMap"));
        Assert.Equal(["error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key \"a\" already set in map", "unknown field \"foo\""], problems);
    }

    [Theory]
    [InlineData(null, FieldValidationDirective.Warn)]
    [InlineData("", FieldValidationDirective.Warn)]
    [InlineData("Strict", FieldValidationDirective.Strict)]
    [InlineData("Ignore", FieldValidationDirective.Ignore)]
    [InlineData("strict", null)]
    public void ParseDirective(string? value, FieldValidationDirective? expected) =>
        Assert.Equal(expected, FieldValidator.ParseDirective(value));
}

public sealed class FieldErrorQuotingTests
{
    // field.Error renders string values with Go's %q: no JSON-style \u escapes.
    [Theory]
    [InlineData("a\"b", "x: Invalid value: \"a\\\"b\": bad")]
    [InlineData("<é>&'", "x: Invalid value: \"<é>&'\": bad")]
    [InlineData("tab\there", "x: Invalid value: \"tab\\there\": bad")]
    public void FormatValue_UsesGoQuoting(string value, string expected) =>
        Assert.Equal(expected, Anvil.Machinery.Validation.FieldError.Invalid("x", value, "bad").ToString());
}
