using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Tests.Validation;

public sealed class NameValidationTests
{
    const string SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const string LabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const string Dns1035Msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    const string QualifiedMsg = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const string LabelValueMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [Theory]
    [InlineData("example.com", "")]
    [InlineData("a", "")]
    [InlineData("Foo", SubdomainMsg)]
    [InlineData("-a", SubdomainMsg)]
    [InlineData("a..b", SubdomainMsg)]
    [InlineData("a_b", SubdomainMsg)]
    public void Dns1123Subdomain(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsDns1123Subdomain(value)));

    [Fact]
    public void Dns1123SubdomainTooLong() =>
        Assert.Equal(["must be no more than 253 characters"], NameValidation.IsDns1123Subdomain(new string('a', 254)));

    [Theory]
    [InlineData("my-name", "")]
    [InlineData("123", "")]
    [InlineData("a.b", "must not contain dots")]
    [InlineData("My", LabelMsg)]
    [InlineData("a-", LabelMsg)]
    public void Dns1123Label(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsDns1123Label(value)));

    [Fact]
    public void Dns1123LabelTooLong() =>
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDns1123Label(new string('a', 64)));

    [Theory]
    [InlineData("web", "")]
    [InlineData("1web", Dns1035Msg)]
    [InlineData("web.x", Dns1035Msg)]
    public void Dns1035Label(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsDns1035Label(value)));

    [Theory]
    [InlineData("app", "")]
    [InlineData("app.kubernetes.io/name", "")]
    [InlineData("MyName", "")]
    [InlineData("-x", QualifiedMsg)]
    [InlineData("/x", "prefix part must be non-empty")]
    [InlineData("x/", "name part must be non-empty|" + QualifiedMsg)]
    [InlineData("Example.com/x", "prefix part " + SubdomainMsg)]
    [InlineData("a/b/c", "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    public void QualifiedName(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsQualifiedName(value)));

    [Theory]
    [InlineData("", "")]
    [InlineData("v1.2_x", "")]
    [InlineData("a b", LabelValueMsg)]
    [InlineData("-a", LabelValueMsg)]
    public void LabelValue(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsValidLabelValue(value)));

    [Theory]
    [InlineData("config.yaml", "")]
    [InlineData("KEY_NAME", "")]
    [InlineData("a/b", "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")]
    [InlineData("..", "must not be '..'")]
    [InlineData("..a", "must not start with '..'")]
    public void ConfigMapKey(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsConfigMapKey(value)));

    [Theory]
    [InlineData("http", "")]
    [InlineData("toolongportname1", "must be no more than 15 characters")]
    [InlineData("80", "must contain at least one letter (a-z)")]
    [InlineData("a--b", "must not contain consecutive hyphens")]
    [InlineData("HTTP", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)|must contain at least one letter (a-z)")]
    public void PortName(string value, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.IsValidPortName(value)));

    [Theory]
    [InlineData(NameRule.PathSegment, "system:admin", false, "")]
    [InlineData(NameRule.PathSegment, "..", false, "may not be '..'")]
    [InlineData(NameRule.PathSegment, "a/b", false, "may not contain '/'")]
    [InlineData(NameRule.Dns1123Subdomain, "web-", true, "")]
    [InlineData(NameRule.Dns1123Subdomain, "web-", false, SubdomainMsg)]
    [InlineData(NameRule.Dns1035Label, "svc-", true, "")]
    public void NameRules(NameRule rule, string name, bool prefix, string expected) =>
        Assert.Equal(expected, string.Join("|", NameValidation.ValidateName(rule, name, prefix)));
}
