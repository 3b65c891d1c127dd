using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class ToolNamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("fourohfour")]
    [InlineData("k8s-status")]
    [InlineData("0day")]
    [InlineData("a123456789a123456789a123456789a123456789a123456789abc")] // 53
    public void Valid(string name) => Assert.Null(ToolNames.Validate(name));

    [Theory]
    [InlineData("", "a name is required")]
    [InlineData("-a", "invalid name \"-a\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("a-", "invalid name \"a-\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("a.b", "invalid name \"a.b\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("Tool", "invalid name \"Tool\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("a123456789a123456789a123456789a123456789a123456789abcd", "invalid name \"a123456789a123456789a123456789a123456789a123456789abcd\": must be shorter than 54 characters")]
    public void Invalid(string name, string message) => Assert.Equal(message, ToolNames.Validate(name));

    [Theory]
    [InlineData("tool-alpha", "alpha")]
    [InlineData("tool-", null)]
    [InlineData("kube-system", null)]
    public void ToolOfNamespace(string ns, string? tool) => Assert.Equal(tool, ToolNames.ToolOfNamespace(ns));
}
