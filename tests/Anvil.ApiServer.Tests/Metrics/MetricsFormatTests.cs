using Anvil.ApiServer.Metrics;

namespace Anvil.ApiServer.Tests.Metrics;

public sealed class MetricsFormatTests
{
    [Theory]
    [InlineData(0UL, "0")]
    [InlineData(1_234_567UL, "1234567n")]
    [InlineData(200_000_000UL, "200m")]
    [InlineData(1_500UL, "1500n")]
    [InlineData(15_000UL, "15u")]
    [InlineData(2_000_000_000UL, "2")]
    public void Cpu(ulong nanoCores, string text) => Assert.Equal(text, MetricsFormat.Cpu(nanoCores));

    [Theory]
    [InlineData(0UL, "0")]
    [InlineData(1000UL, "1000")]
    [InlineData(1_263_616UL, "1234Ki")]
    [InlineData(12_582_912UL, "12Mi")]
    [InlineData(3_221_225_472UL, "3Gi")]
    public void Memory(ulong bytes, string text) => Assert.Equal(text, MetricsFormat.Memory(bytes));

    [Theory]
    [InlineData(15_000L, "15s")]
    [InlineData(10_500L, "10.5s")]
    [InlineData(10_002L, "10.002s")]
    [InlineData(60_250L, "1m0.25s")]
    [InlineData(3_723_000L, "1h2m3s")]
    [InlineData(500L, "500ms")]
    [InlineData(0L, "0s")]
    public void Duration(long milliseconds, string text) => Assert.Equal(text, MetricsFormat.Duration(TimeSpan.FromMilliseconds(milliseconds)));
}
