using Anvil.Node.Logs;

namespace Anvil.Node.Tests;

public sealed class CriLogTests
{
    private static readonly string[] s_log =
    [
        "2024-01-02T03:04:05.123456789+00:00 stdout F one",
        "2024-01-02T03:04:06.000000001+00:00 stderr F two",
        "2024-01-02T03:04:07.5+00:00 stdout P thr",
        "2024-01-02T03:04:07.6+00:00 stdout F ee",
        "not a cri line",
        "2024-01-02T03:04:08.000000000+00:00 stdout F ",
    ];

    [Theory]
    [InlineData(null, false, null, "one\ntwo\nthree\n\n")]
    [InlineData(2L, false, null, "three\n\n")]
    [InlineData(1L, false, null, "\n")]
    [InlineData(0L, false, null, "")]
    [InlineData(10L, false, null, "one\ntwo\nthree\n\n")]
    [InlineData(1L, true, null, "2024-01-02T03:04:08.000000000Z \n")]
    [InlineData(null, true, 35L, "2024-01-02T03:04:05.123456789Z one\n")]
    [InlineData(null, false, 5L, "one\nt")]
    public void Render(long? tail, bool timestamps, long? limitBytes, string expected) =>
        Assert.Equal(expected, CriLog.Render(s_log, new LogOptions(TailLines: tail, Timestamps: timestamps, LimitBytes: limitBytes)));

    [Theory]
    [InlineData("2024-01-02T03:04:05.123456789+00:00 stdout F hello world", "stdout", true, "hello world")]
    [InlineData("2024-01-02T03:04:05.123456789Z stderr P part", "stderr", false, "part")]
    [InlineData("2024-01-02T03:04:05Z stdout F", "stdout", true, "")]
    public void Parse(string line, string stream, bool full, string text)
    {
        Assert.True(CriLog.TryParse(line, out var l));
        Assert.Equal((stream, full, text), (l.Stream, l.Full, l.Text));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("notatime stdout F x")]
    public void ParseRejects(string line) => Assert.False(CriLog.TryParse(line, out _));
}
