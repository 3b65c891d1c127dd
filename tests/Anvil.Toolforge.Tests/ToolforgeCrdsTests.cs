using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class ToolforgeCrdsTests
{
    [Fact]
    public void ToolIsClusterScopedInToolforgeGroup()
    {
        var crd = ToolforgeCrds.Tool();
        Assert.Equal("tools.toolforge.org", (string?)crd["metadata"]!["name"]);
        Assert.Equal("Cluster", (string?)crd["spec"]!["scope"]);
        Assert.Equal("Tool", (string?)crd["spec"]!["names"]!["kind"]);
    }
}
