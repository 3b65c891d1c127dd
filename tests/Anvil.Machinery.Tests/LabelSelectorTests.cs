using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Selectors;

namespace Anvil.Machinery.Tests;

public sealed class LabelSelectorTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("b=2,a=1", "a=1,b=2")]
    [InlineData("a==b", "a==b")]
    [InlineData("a!=b", "a!=b")]
    [InlineData("x in (c,a,b)", "x in (a,b,c)")]
    [InlineData("  !a , b notin (x) ", "!a,b notin (x)")]
    [InlineData("x in (a,,b)", "x in (,a,b)")]
    [InlineData("x in ()", "x in ()")]
    [InlineData("app", "app")]
    [InlineData("a=", "a=")]
    [InlineData("in in (in,notin)", "in in (in,notin)")]
    [InlineData("example.com/tier=web", "example.com/tier=web")]
    [InlineData("n>5,m<3", "m<3,n>5")]
    public void ParsesToCanonicalString(string input, string expected) =>
        Assert.Equal(expected, LabelSelector.Parse(input).ToString());

    private const string QualifiedNameError =
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

    private const string LabelValueError =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [Theory]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a,", "found '', expected: identifier after ','")]
    [InlineData("a=b c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData("x in a", "unable to parse requirement: found 'a' expected: '('")]
    [InlineData("x in (a", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'")]
    [InlineData("=a", "found '=', expected: !, identifier, or 'end of string'")]
    [InlineData("!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("!a=b", "found '=', expected: ',' or 'end of string'")]
    [InlineData("a=(b)", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("a/b/c=d", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": " + QualifiedNameError)]
    [InlineData("-a=b", "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("Foo_/a=b", "unable to parse requirement: <nil>: Invalid value: \"Foo_/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    [InlineData("a=b@c", "unable to parse requirement: values[0][a]: Invalid value: \"b@c\": " + LabelValueError)]
    [InlineData("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer")]
    public void ParseErrorsAreBadRequests(string input, string message)
    {
        var e = Assert.Throws<StatusError>(() => LabelSelector.Parse(input));
        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void LongValueReportsBothProblems()
    {
        var value = new string('a', 63) + "-";
        var e = Assert.Throws<StatusError>(() => LabelSelector.Parse("k=" + value));
        Assert.Equal($"unable to parse requirement: values[0][k]: Invalid value: \"{value}\": must be no more than 63 characters; " + LabelValueError, e.Message);
    }

    [Theory]
    [InlineData("app=web", "app=web,tier=front", true)]
    [InlineData("app=web", "app=db", false)]
    [InlineData("app!=web", "", true)]
    [InlineData("app!=web", "app=web", false)]
    [InlineData("app in (web,db)", "app=db", true)]
    [InlineData("app in (web,db)", "", false)]
    [InlineData("app notin (web)", "", true)]
    [InlineData("app notin (web)", "app=web", false)]
    [InlineData("app", "app=", true)]
    [InlineData("!app", "app=x", false)]
    [InlineData("!app", "other=x", true)]
    [InlineData("app=web,tier", "app=web", false)]
    [InlineData("n>5", "n=6", true)]
    [InlineData("n>5", "n=x", false)]
    [InlineData("", "", true)]
    public void Matches(string selector, string labels, bool expected)
    {
        var dict = labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var parsed = LabelSelector.Parse(selector);
        Assert.Equal(expected, parsed.Matches(dict));
        var json = new JsonObject();
        foreach (var (k, v) in dict) json[k] = v;
        Assert.Equal(expected, parsed.Matches(json));
    }

    [Fact]
    public void NullSelectorMatchesNothingAndEmptyMatchesEverything()
    {
        Assert.False(LabelSelector.FromLabelSelectorJson(null).Matches(new Dictionary<string, string>()));
        Assert.True(LabelSelector.FromLabelSelectorJson(new JsonObject()).Matches((JsonObject?)null));
        Assert.True(LabelSelector.FromLabelSelectorJson(new JsonObject { ["matchLabels"] = new JsonObject() }).IsEmpty);
    }

    [Fact]
    public void FromJsonCombinesLabelsAndExpressions()
    {
        var selector = LabelSelector.FromLabelSelectorJson((JsonObject)JsonNode.Parse("""
            {"matchLabels": {"app": "web"},
             "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]},
                                  {"key": "canary", "operator": "DoesNotExist"},
                                  {"key": "env", "operator": "Exists"}]}
            """)!);
        Assert.Equal("app=web,!canary,env,tier in (back,front)", selector.ToString());
        Assert.True(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "back", ["env"] = "prod" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "back", ["env"] = "prod", ["canary"] = "1" }));
    }

    [Theory]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "Foo"}]}""", "\"Foo\" is not a valid label selector operator")]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "In"}]}""", "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}""", "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist")]
    [InlineData("""{"matchLabels": {"a": "b c"}}""", "values[0][a]: Invalid value: \"b c\": " + LabelValueError)]
    public void FromJsonRejectsInvalidSelectors(string json, string message)
    {
        var e = Assert.Throws<StatusError>(() => LabelSelector.FromLabelSelectorJson((JsonObject)JsonNode.Parse(json)!));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void RequiresExactMatch()
    {
        Assert.True(LabelSelector.Parse("a in (x),b=y").RequiresExactMatch("a", out var v));
        Assert.Equal("x", v);
        Assert.False(LabelSelector.Parse("a in (x,z)").RequiresExactMatch("a", out _));
    }
}
