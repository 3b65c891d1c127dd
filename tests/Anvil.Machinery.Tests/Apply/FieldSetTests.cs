using System.Text.Json.Nodes;
using Anvil.Machinery.Apply;

namespace Anvil.Machinery.Tests.Apply;

public sealed class FieldSetTests
{
    [Theory]
    // Key order as SMD writes it: "." first, then fields, keys, values, indexes, each sorted.
    [InlineData("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},\"f:image\":{}}}}}")]
    [InlineData("{\"f:data\":{\".\":{},\"f:a\":{},\"f:b\":{}}}")]
    [InlineData("{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:port\":{}}}}}")]
    [InlineData("{\"f:metadata\":{\"f:finalizers\":{\".\":{},\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{}}}}")]
    [InlineData("{}")]
    public void FieldsV1RoundTripsExactly(string json) =>
        Assert.Equal(json, FieldSet.FromJson(json).ToJson());

    [Theory]
    [InlineData("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},\"f:image\":{}}}}}")]
    [InlineData("{\"f:data\":{\".\":{},\"f:a\":{},\"f:b\":{}}}")]
    [InlineData("{\"f:metadata\":{\"f:finalizers\":{\".\":{},\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{}}}}")]
    [InlineData("{}")]
    public void FieldsV1NodeHasTheMembersOfTheText(string json) =>
        Assert.Equal(json, FieldSet.FromJson(json).ToFieldsV1().ToJsonString(Anvil.Machinery.Serialization.KubeJson.Options));

    [Fact]
    public void FieldsV1NodeInterleavesMembersAndChildrenAndDropsEmptyChildren()
    {
        var set = FieldSet.Of("spec.b", "spec.a.x", "spec.c", "spec.a", "metadata.labels.z");
        set.Insert(FieldPath.ParseDotted("spec.d"));
        var expected = "{\"f:metadata\":{\"f:labels\":{\"f:z\":{}}},\"f:spec\":{\"f:a\":{\".\":{},\"f:x\":{}},\"f:b\":{},\"f:c\":{},\"f:d\":{}}}";
        Assert.Equal(expected, set.ToJson());
        Assert.Equal(expected, set.ToFieldsV1().ToJsonString(Anvil.Machinery.Serialization.KubeJson.Options));
        var withEmptyChild = set.Difference(FieldSet.Of("metadata.labels.z"));
        Assert.Equal("{\"f:spec\":{\"f:a\":{\".\":{},\"f:x\":{}},\"f:b\":{},\"f:c\":{},\"f:d\":{}}}", withEmptyChild.ToFieldsV1().ToJsonString(Anvil.Machinery.Serialization.KubeJson.Options));
        Assert.Equal(withEmptyChild.ToJson(), withEmptyChild.ToFieldsV1().ToJsonString(Anvil.Machinery.Serialization.KubeJson.Options));
    }

    [Fact]
    public void SerializationSortsAndPutsSelfFirst()
    {
        var set = new FieldSet();
        set.Insert(new FieldPath([PathElement.Field("spec"), PathElement.Field("replicas")]));
        set.Insert(new FieldPath([PathElement.Field("metadata"), PathElement.Field("labels"), PathElement.Field("b")]));
        set.Insert(new FieldPath([PathElement.Field("metadata"), PathElement.Field("labels"), PathElement.Field("a")]));
        set.Insert(new FieldPath([PathElement.Field("metadata"), PathElement.Field("labels")]));
        Assert.Equal("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{},\"f:b\":{}}},\"f:spec\":{\"f:replicas\":{}}}", set.ToJson());
    }

    [Fact]
    public void KeyFieldsAreSortedByName()
    {
        var pe = PathElement.ForKey([new("protocol", JsonValue.Create("TCP")), new("containerPort", JsonValue.Create(80))]);
        Assert.Equal("k:{\"containerPort\":80,\"protocol\":\"TCP\"}", pe.Serialize());
        Assert.Equal("[containerPort=80,protocol=\"TCP\"]", pe.ToString());
    }

    public static TheoryData<string, string> PathStrings => new()
    {
        { "{\"f:spec\":{\"f:replicas\":{}}}", ".spec.replicas" },
        { "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\"f:image\":{}}}}}", ".spec.containers[name=\"a\"].image" },
        { "{\"f:data\":{\"f:a\":{}}}", ".data.a" },
        { "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}}", ".metadata.labels.app" },
        { "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"x\\\"\":{}}}}", ".metadata.finalizers[=\"x\"]" },
        { "{\"f:list\":{\"i:3\":{}}}", ".list[3]" },
    };

    [Theory]
    [MemberData(nameof(PathStrings))]
    public void PathsPrintAsSmdDoes(string fieldsV1, string expected) =>
        Assert.Equal(expected, Assert.Single(FieldSet.FromJson(fieldsV1).Paths()).ToString());

    [Theory]
    [InlineData("union", "{\"f:a\":{},\"f:b\":{\".\":{},\"f:c\":{}},\"f:d\":{}}")]
    [InlineData("intersection", "{\"f:b\":{\"f:c\":{}}}")]
    [InlineData("difference", "{\"f:a\":{},\"f:b\":{}}")]
    [InlineData("recursiveDifference", "{\"f:a\":{}}")]
    public void SetOperations(string op, string expected)
    {
        var left = FieldSet.FromJson("{\"f:a\":{},\"f:b\":{\".\":{},\"f:c\":{}}}");
        var right = FieldSet.FromJson("{\"f:b\":{\"f:c\":{}},\"f:d\":{}}");
        var rightWithB = FieldSet.FromJson("{\"f:b\":{},\"f:d\":{}}");
        var result = op switch
        {
            "union" => left.Union(right),
            "intersection" => left.Intersection(right),
            "difference" => left.Difference(right),
            _ => left.RecursiveDifference(rightWithB),
        };
        Assert.Equal(expected, result.ToJson());
    }

    [Theory]
    [InlineData("{\"x:a\":{}}", "{}")]
    [InlineData("{\"f:a\":{\"z:b\":{}}}", "{\"f:a\":{}}")]
    public void UnknownElementTypesAreDropped(string input, string expected) =>
        Assert.Equal(expected, FieldSet.FromJson(input).ToJson());

    [Theory]
    [InlineData("{\"ab\":{}}", "missing colon: ab")]
    [InlineData("{\"f\":{}}", "key must be 2 characters long:")]
    public void MalformedKeysAreRejected(string input, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => FieldSet.FromJson(input)).Message);
}
