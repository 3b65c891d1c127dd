using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.CustomResources;
using Anvil.Machinery.FieldValidation;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Tests;

public sealed class CustomResourceSchemaTests
{
    /// <summary>A CronTab-like CRD exercising every schema feature the validator, pruner and defaulter know.</summary>
    internal const string CronTabCrd = """
    {
      "apiVersion": "apiextensions.k8s.io/v1",
      "kind": "CustomResourceDefinition",
      "metadata": {"name": "crontabs.stable.example.com"},
      "spec": {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "listKind": "CronTabList", "shortNames": ["ct"]},
        "versions": [{
          "name": "v1", "served": true, "storage": true,
          "subresources": {"status": {}},
          "schema": {"openAPIV3Schema": {
            "type": "object",
            "required": ["spec"],
            "properties": {
              "spec": {
                "type": "object",
                "required": ["cronSpec", "image"],
                "properties": {
                  "cronSpec": {"type": "string", "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
                  "image": {"type": "string", "minLength": 1, "maxLength": 20},
                  "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
                  "policy": {"type": "string", "enum": ["Allow", "Forbid", "Replace"], "default": "Allow"},
                  "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true},
                  "labels": {"type": "object", "maxProperties": 2, "additionalProperties": {"type": "string", "maxLength": 5}},
                  "ports": {
                    "type": "array", "minItems": 1, "maxItems": 3,
                    "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                      "type": "object", "required": ["name"],
                      "properties": {
                        "name": {"type": "string"},
                        "port": {"type": "integer", "format": "int32"},
                        "protocol": {"type": "string", "default": "TCP"}
                      }
                    }
                  },
                  "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                  "target": {"x-kubernetes-int-or-string": true},
                  "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"mode": {"type": "string"}}},
                  "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
                  "schedule": {"type": "object", "properties": {"start": {"type": "string", "format": "date-time"}, "data": {"type": "string", "format": "byte"}}},
                  "note": {"type": "string", "nullable": true},
                  "empty": {"type": "object"},
                  "level": {"type": "integer", "enum": [1, 2]}
                }
              },
              "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
            }
          }}
        }]
      }
    }
    """;

    private const string ValidObject = """
    {
      "apiVersion": "stable.example.com/v1",
      "kind": "CronTab",
      "metadata": {"name": "my-new-cron-object", "namespace": "default"},
      "spec": {
        "cronSpec": "* * * * */5",
        "image": "my-awesome-image",
        "replicas": 3,
        "policy": "Forbid",
        "ratio": 0.5,
        "labels": {"a": "x"},
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        "tags": ["a", "b"],
        "target": "50%",
        "config": {"mode": "fast", "anything": {"goes": true}},
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}},
        "schedule": {"start": "2024-01-02T03:04:05Z", "data": "aGVsbG8="},
        "note": null
      }
    }
    """;

    internal static SchemaNode ObjectMeta => TestJson.Registry.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")!;

    private static CustomResourceSchema Schema() => CustomResourceSchema.FromCrd(TestJson.Obj(CronTabCrd), "v1", ObjectMeta);

    /// <summary>The valid object with <paramref name="mergePatch"/> applied (RFC 7386: null removes).</summary>
    private static JsonObject Mutated(string mergePatch)
    {
        var obj = TestJson.Obj(ValidObject);
        Merge(obj, TestJson.Obj(mergePatch));
        return obj;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null) target.Remove(key);
            else if (value is JsonObject po && target[key] is JsonObject to) Merge(to, po);
            else target[key] = value.DeepClone();
        }
    }

    [Fact]
    public void ValidObjectHasNoErrors()
    {
        Assert.Empty(Schema().Validate(TestJson.Obj(ValidObject)));
    }

    [Theory]
    [InlineData("""{"spec":{"replicas":11}}""", "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10")]
    [InlineData("""{"spec":{"replicas":0}}""", "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1")]
    [InlineData("""{"spec":{"replicas":"ten"}}""", "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"")]
    [InlineData("""{"spec":{"replicas":1.5}}""", "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"")]
    [InlineData("""{"spec":{"replicas":true}}""", "spec.replicas: Invalid value: \"boolean\": spec.replicas in body must be of type integer: \"boolean\"")]
    [InlineData("""{"spec":{"cronSpec":"x"}}""", "spec.cronSpec: Invalid value: \"x\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'")]
    [InlineData("""{"spec":{"image":null}}""", "spec.image: Required value")]
    [InlineData("""{"spec":{"image":""}}""", "spec.image: Invalid value: \"\": spec.image in body should be at least 1 chars long")]
    [InlineData("""{"spec":{"image":"an-image-name-that-is-too-long"}}""", "spec.image: Too long: value is too long")]
    [InlineData("""{"spec":{"policy":"Sometimes"}}""", "spec.policy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"")]
    [InlineData("""{"spec":{"level":3}}""", "spec.level: Unsupported value: 3: supported values: \"1\", \"2\"")]
    [InlineData("""{"spec":{"ratio":1}}""", "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1")]
    [InlineData("""{"spec":{"ratio":0}}""", "spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0")]
    [InlineData("""{"spec":{"ratio":1.25}}""", "spec.ratio: Invalid value: 1.25: spec.ratio in body should be less than 1")]
    [InlineData("""{"spec":{"labels":{"a":"toolong"}}}""", "spec.labels.a: Too long: value is too long")]
    [InlineData("""{"spec":{"labels":{"a":"x","b":"y","c":"z"}}}""", "spec.labels: Too many: 3: has too many items")]
    [InlineData("""{"spec":{"labels":{"a":1}}}""", "spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"")]
    [InlineData("""{"spec":{"ports":[]}}""", "spec.ports: Invalid value: 0: spec.ports in body should have at least 1 items")]
    [InlineData("""{"spec":{"ports":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}}""", "spec.ports: Too many: 4: has too many items")]
    [InlineData("""{"spec":{"ports":[{"port":80}]}}""", "spec.ports[0].name: Required value")]
    [InlineData("""{"spec":{"ports":[{"name":"a","port":"80"}]}}""", "spec.ports[0].port: Invalid value: \"string\": spec.ports[0].port in body must be of type integer: \"string\"")]
    [InlineData("""{"spec":{"ports":[{"name":"http","port":80},{"name":"http","port":81}]}}""", "spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}")]
    [InlineData("""{"spec":{"tags":["a","b","a","a"]}}""", "spec.tags[2]: Duplicate value: \"a\"")]
    [InlineData("""{"spec":{"target":true}}""", "spec.target: Invalid value: \"boolean\": spec.target in body must be of type integer,string: \"boolean\"")]
    [InlineData("""{"spec":{"template":{"kind":null}}}""", "spec.template.kind: Required value")]
    [InlineData("""{"spec":{"template":{"apiVersion":"a/b/c"}}}""", "spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c")]
    [InlineData("""{"spec":{"template":{"kind":7}}}""", "spec.template.kind: Invalid value: 7: must be a string")]
    [InlineData("""{"spec":{"template":{"metadata":{"name":"a/b"}}}}""", "spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'")]
    [InlineData("""{"spec":{"schedule":{"start":"yesterday"}}}""", "spec.schedule.start: Invalid value: \"yesterday\": spec.schedule.start in body must be of type date-time: \"yesterday\"")]
    [InlineData("""{"spec":{"schedule":{"data":"not base64!"}}}""", "spec.schedule.data: Invalid value: \"not base64!\": spec.schedule.data in body must be of type byte: \"not base64!\"")]
    [InlineData("""{"spec":"x"}""", "spec: Invalid value: \"string\": spec in body must be of type object: \"string\"")]
    [InlineData("""{"spec":null}""", "spec: Required value")]
    public void InvalidObjectsGetKubernetesMessages(string mergePatch, string expected)
    {
        var errors = Schema().Validate(Mutated(mergePatch));
        Assert.Equal([expected], errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("""{"spec":{"replicas":2.0}}""")] // an integral float is an integer
    [InlineData("""{"spec":{"target":3}}""")]
    [InlineData("""{"spec":{"note":"set"}}""")]
    [InlineData("""{"spec":{"config":{"mode":"slow","x":[1,2]}}}""")]
    [InlineData("""{"spec":{"schedule":{"start":"2024-01-02T03:04:05.123+02:00"}}}""")]
    [InlineData("""{"spec":{"ports":[{"name":"a"}]}}""")]
    public void ValidVariantsPass(string mergePatch)
    {
        Assert.Empty(Schema().Validate(Mutated(mergePatch)));
    }

    [Fact]
    public void SeveralErrorsAreAllReported()
    {
        var errors = Schema().Validate(Mutated("""{"spec":{"replicas":20,"image":null,"cronSpec":null}}"""));
        Assert.Equal(
        [
            "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10",
            "spec.cronSpec: Required value",
            "spec.image: Required value",
        ], errors.Select(e => e.ToString()));
        Assert.Equal("FieldValueRequired", errors[1].Type.Reason());
        Assert.Equal("FieldValueTypeInvalid", Schema().Validate(Mutated("""{"spec":{"replicas":"x"}}"""))[0].Type.Reason());
    }

    [Fact]
    public void NullIsATypeErrorUnlessNullable()
    {
        var obj = TestJson.Obj(ValidObject); // spec.note is null and nullable
        Assert.Empty(Schema().Validate(obj));
        obj["spec"]!["replicas"] = null;
        Assert.Equal(["spec.replicas: Invalid value: \"null\": spec.replicas in body must be of type integer: \"null\""],
            Schema().Validate(obj).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("""{"spec":{"image":"other"}}""", new string[0])] // the invalid replicas did not change
    [InlineData("""{"spec":{"replicas":30}}""", new[] { "spec.replicas: Invalid value: 30: spec.replicas in body should be less than or equal to 10" })]
    [InlineData("""{"spec":{"ports":[{"name":"new","port":1},{"name":"bad","port":"x"}]}}""", new string[0])] // map entries correlate by key
    [InlineData("""{"spec":{"ports":[{"name":"bad","port":"y"}]}}""", new[] { "spec.ports[0].port: Invalid value: \"string\": spec.ports[0].port in body must be of type integer: \"string\"" })]
    [InlineData("""{"spec":{"tags":["a","a","b"]}}""", new string[0])] // the old object already broke the set
    public void UpdatesRatchetUnchangedValues(string mergePatch, string[] expected)
    {
        var old = Mutated("""{"spec":{"replicas":20,"ports":[{"name":"bad","port":"x"}],"tags":["a","a"]}}""");
        var updated = (JsonObject)old.DeepClone();
        Merge(updated, TestJson.Obj(mergePatch));
        Assert.Equal(expected, Schema().ValidateUpdate(updated, old).Select(e => e.ToString()));
        Assert.NotEmpty(Schema().Validate(updated)); // without the old object everything is checked
    }

    [Theory]
    [InlineData("""{"apiVersion":"stable.example.com/v1","kind":"CronTab"}""", new string[0])]
    [InlineData("""{"apiVersion":"stable.example.com/v2","kind":"Cron"}""", new[] { "kind: Invalid value: \"Cron\": must be CronTab", "apiVersion: Invalid value: \"stable.example.com/v2\": must be stable.example.com/v1" })]
    public void TypeMetaMustMatchTheVersion(string json, string[] expected)
    {
        Assert.Equal(expected, Schema().ValidateTypeMeta(TestJson.Obj(json)).Select(e => e.ToString()));
    }

    [Fact]
    public void OneOfAndAnyOfReportAtTheNilPath()
    {
        var schema = new CustomResourceSchema(TestJson.Obj("""
            {"type":"object","properties":{"spec":{"type":"object",
              "properties":{"a":{"type":"string"},"b":{"type":"string"}},
              "oneOf":[{"required":["a"]},{"required":["b"]}]}}}
            """), "g.io", "v1", "Thing", true, ObjectMeta);
        var errors = schema.Validate(TestJson.Obj("""{"spec":{"a":"x","b":"y"}}"""));
        Assert.Equal(["<nil>: Invalid value: \"\": \"spec\" must validate one and only one schema (oneOf). Found 2 valid alternatives"],
            errors.Select(e => e.ToString()));
        errors = schema.Validate(TestJson.Obj("""{"spec":{}}"""));
        Assert.Equal(
        [
            "<nil>: Invalid value: \"\": \"spec\" must validate one and only one schema (oneOf). Found none valid",
            "spec.a: Required value",
        ], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void AdditionalPropertiesFalseForbidsOtherKeys()
    {
        var schema = new CustomResourceSchema(TestJson.Obj("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}}
            """), "g.io", "v1", "Thing", true, ObjectMeta);
        Assert.Equal(["spec: Invalid value: \"b\": spec.b in body is a forbidden property"],
            schema.Validate(TestJson.Obj("""{"spec":{"a":"x","b":"y"}}""")).Select(e => e.ToString()));
    }

    [Fact]
    public void PruneDropsUnknownFieldsAndReportsThemSorted()
    {
        var obj = Mutated("""
            {"extra": 1,
             "metadata": {"unknownMeta": "kept: the caller handles metadata"},
             "spec": {"foo": 1, "ports": [{"name": "a", "extra": true}], "empty": {"x": 1},
                      "config": {"mode": "m", "free": {"deep": 1}},
                      "template": {"metadata": {"name": "p", "bogus": 1}, "spec": {"any": 1}}},
             "status": {"phase": "Running", "bar": 2}}
            """);
        var pruned = Schema().Prune(obj);
        Assert.Equal(["extra", "spec.empty.x", "spec.foo", "spec.ports[0].extra", "status.bar", "spec.template.metadata.bogus"], pruned);
        Assert.Equal(TestJson.Canon("""
            {"apiVersion":"stable.example.com/v1","kind":"CronTab",
             "metadata":{"name":"my-new-cron-object","namespace":"default","unknownMeta":"kept: the caller handles metadata"},
             "spec":{"cronSpec":"* * * * */5","image":"my-awesome-image","replicas":3,"policy":"Forbid","ratio":0.5,
               "labels":{"a":"x"},"ports":[{"name":"a"}],"tags":["a","b"],"target":"50%",
               "config":{"mode":"m","anything":{"goes":true},"free":{"deep":1}},
               "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"any":1,"containers":[]}},
               "schedule":{"start":"2024-01-02T03:04:05Z","data":"aGVsbG8="},"note":null,"empty":{}},
             "status":{"phase":"Running"}}
            """), TestJson.Canon(obj));
    }

    [Fact]
    public void PreservingRootKeepsUnknownFieldsButPrunesKnownSubtreesAndNeverMetadata()
    {
        var schema = new CustomResourceSchema(TestJson.Obj("""
            {"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{
              "metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}},
              "spec":{"type":"object","properties":{"a":{"type":"string"}}}}}
            """), "g.io", "v1", "Thing", true, ObjectMeta);
        var obj = TestJson.Obj("""{"metadata":{"name":"n","labels":{"x":"y"}},"extra":{"k":1},"spec":{"a":"1","b":2}}""");
        Assert.Equal(["spec.b"], schema.Prune(obj));
        Assert.Equal("""{"metadata":{"name":"n","labels":{"x":"y"}},"extra":{"k":1},"spec":{"a":"1"}}""", obj.ToJsonString());
    }

    [Fact]
    public void PruneOfAKnownObjectReportsNothing()
    {
        var obj = TestJson.Obj(ValidObject);
        Assert.Empty(Schema().Prune(obj));
        Assert.Equal(TestJson.Canon(ValidObject), TestJson.Canon(obj));
    }

    [Fact]
    public void DefaultFillsAbsentFieldsOfPresentObjects()
    {
        var obj = TestJson.Obj("""
            {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c"},
             "spec":{"cronSpec":"* * * * *","image":"i","ports":[{"name":"a"},{"name":"b","protocol":"UDP"}]}}
            """);
        Schema().Default(obj);
        Assert.Equal(TestJson.Canon("""
            {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c"},
             "spec":{"cronSpec":"* * * * *","image":"i","replicas":1,"policy":"Allow",
               "ports":[{"name":"a","protocol":"TCP"},{"name":"b","protocol":"UDP"}]}}
            """), TestJson.Canon(obj));
    }

    [Fact]
    public void DefaultNeverCreatesAbsentParents()
    {
        var obj = TestJson.Obj("""{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c"}}""");
        Schema().Default(obj);
        Assert.Equal(TestJson.Canon("""{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c"}}"""), TestJson.Canon(obj));
    }

    [Fact]
    public void DefaultReplacesNonNullableNullsAndDropsNullsWithoutDefault()
    {
        var obj = TestJson.Obj("""{"spec":{"cronSpec":"* * * * *","image":null,"replicas":null,"note":null,"policy":"Replace"}}""");
        Schema().Default(obj);
        Assert.Equal(TestJson.Canon("""{"spec":{"cronSpec":"* * * * *","replicas":1,"note":null,"policy":"Replace"}}"""), TestJson.Canon(obj));
    }

    [Fact]
    public void DefaultsAreCopiesNotShared()
    {
        var schema = new CustomResourceSchema(TestJson.Obj("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{"opts":{"type":"object","default":{"x":1},
              "properties":{"x":{"type":"integer"}}}}}}}
            """), "g.io", "v1", "Thing", true, ObjectMeta);
        var a = TestJson.Obj("""{"spec":{}}""");
        var b = TestJson.Obj("""{"spec":{}}""");
        schema.Default(a);
        schema.Default(b);
        a["spec"]!["opts"]!["x"] = 2;
        Assert.Equal("""{"spec":{"opts":{"x":1}}}""", b.ToJsonString());
    }

    [Fact]
    public void SchemaNodeHasTypeMetaObjectMetaAndCrdSemantics()
    {
        var node = Schema().ToSchemaNode();
        Assert.Equal(SchemaKind.Object, node.Kind);
        Assert.Equal(SchemaKind.String, node.Property("apiVersion")!.Kind);
        Assert.Equal(SchemaKind.String, node.Property("kind")!.Kind);
        Assert.Same(ObjectMeta, node.Property("metadata"));
        var spec = node.Property("spec")!;
        Assert.Equal(SchemaKind.Object, spec.Property("empty")!.Kind); // pruned empty, not free-form
        Assert.False(spec.Property("empty")!.PreserveUnknownFields);
        Assert.Equal(SchemaKind.IntOrString, spec.Property("target")!.Kind);
        Assert.Equal("map", spec.Property("ports")!.ListType);
        Assert.Equal(["name"], spec.Property("ports")!.ListMapKeys);
        Assert.Same(ObjectMeta, spec.Property("template")!.Property("metadata"));
        Assert.True(spec.Property("config")!.PreserveUnknownFields);
    }

    [Fact]
    public void SchemaNodeDrivesStrictFieldValidation()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c"},
             "spec":{"cronSpec":"* * * * *","image":"i","foo":1,"empty":{"x":1},"config":{"free":1}}}
            """);
        var problems = FieldValidator.Check(body, Schema().ToSchemaNode(), ObjectMeta, customResource: true);
        Assert.Equal(["unknown field \"spec.empty.x\"", "unknown field \"spec.foo\""], problems);
    }
}
