using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Tests.Validation;

public sealed class LabelValidationTests
{
    [Theory]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"In"}]}""", "s.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}""", "s.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Near"}]}""", "s.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator")]
    [InlineData("""{"matchLabels":{"a":"b c"}}""", "s.matchLabels: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    public void InvalidSelectors(string selector, string expected) =>
        Assert.Contains(expected, LabelValidation.ValidateLabelSelector(JsonNode.Parse(selector), "s").Select(e => e.ToString()));

    [Theory]
    [InlineData("""{"matchLabels":{"app":"x"}}""", """{"app":"x","tier":"web"}""", true)]
    [InlineData("""{"matchLabels":{"app":"x"}}""", """{"app":"y"}""", false)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"In","values":["web","db"]}]}""", """{"tier":"db"}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["web"]}]}""", """{}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"Exists"}]}""", """{}""", false)]
    [InlineData("""{"matchExpressions":[{"key":"tier","operator":"DoesNotExist"}]}""", """{"tier":"x"}""", false)]
    [InlineData("""{}""", """{"a":"b"}""", true)]
    public void Matching(string selector, string labels, bool matches) =>
        Assert.Equal(matches, LabelValidation.Matches(JsonNode.Parse(selector), JsonNode.Parse(labels)));

    [Fact]
    public void GoRenderingOfASelector() =>
        Assert.Equal("v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"1\", \"b\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
            LabelValidation.GoLabelSelector(JsonNode.Parse("""{"matchLabels":{"b":"2","a":"1"}}""")).ToString());
}
