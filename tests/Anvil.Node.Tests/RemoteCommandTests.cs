using System.Text;
using Anvil.Node.Exec;

namespace Anvil.Node.Tests;

public sealed class RemoteCommandTests
{
    [Fact]
    public void ExitCodeStatusIsWhatKubectlTurnsIntoItsExitCode()
    {
        var json = Encoding.UTF8.GetString(RemoteCommand.ExitCodeStatus(["sh", "-c", "exit 3"], 3));

        Assert.Equal("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3\","
            + "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}", json);
    }

    [Fact]
    public void SuccessAndFailureStatus()
    {
        Assert.Equal("{\"metadata\":{},\"status\":\"Success\"}", Encoding.UTF8.GetString(RemoteCommand.SuccessStatus()));
        Assert.Equal("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"boom\"}", Encoding.UTF8.GetString(RemoteCommand.FailureStatus("boom")));
    }

    [Fact]
    public void FramePutsTheChannelFirst()
    {
        Assert.Equal([1, (byte)'h', (byte)'i'], RemoteCommand.Frame(RemoteCommand.StdoutChannel, "hi"u8));
        Assert.Equal([3], RemoteCommand.Frame(RemoteCommand.ErrorChannel, []));
    }

    [Theory]
    [InlineData("{\"Width\":120,\"Height\":40}", 120, 40)]
    [InlineData("{\"Height\":7,\"Width\":3}", 3, 7)]
    [InlineData("{\"Width\":80}", 80, 0)]
    public void ParsesResize(string json, int width, int height)
    {
        Assert.Equal(((ushort)width, (ushort)height), RemoteCommand.ParseResize(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void RejectsWhatIsNotAResize(string text)
    {
        Assert.Null(RemoteCommand.ParseResize(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData("v5.channel.k8s.io, v4.channel.k8s.io", "v5.channel.k8s.io")]
    [InlineData("v4.channel.k8s.io,channel.k8s.io", "v4.channel.k8s.io")]
    [InlineData("channel.k8s.io", null)]
    [InlineData("", null)]
    public void NegotiatesTheNewestProtocol(string offered, string? expected)
    {
        Assert.Equal(expected, RemoteCommand.Negotiate([offered]));
    }
}
