using System.Text;
using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class ToolKubeconfigTests
{
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void RendersMaintainKubeusersLayout()
    {
        var text = ToolKubeconfig.Render("https://127.0.0.1:6443", "CA", "tf-alpha", "CERT", "KEY", "tool-alpha");
        Assert.Equal($"""
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: {B64("CA")}
                server: https://127.0.0.1:6443
              name: toolforge
            contexts:
            - context:
                cluster: toolforge
                namespace: tool-alpha
                user: tf-alpha
              name: toolforge
            current-context: toolforge
            preferences: {"{}"}
            users:
            - name: tf-alpha
              user:
                client-certificate-data: {B64("CERT")}
                client-key-data: {B64("KEY")}

            """.Replace("\r\n", "\n"), text);
    }

    [Fact]
    public void WithoutNamespaceHasNoNamespaceLine()
    {
        var text = ToolKubeconfig.Render("https://h", "CA", "taavi", "C", "K", null);
        Assert.DoesNotContain("namespace:", text, StringComparison.Ordinal);
        Assert.Contains("- name: taavi\n", text, StringComparison.Ordinal);
    }
}
