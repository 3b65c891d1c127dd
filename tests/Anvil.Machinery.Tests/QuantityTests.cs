using Anvil.Machinery.Quantities;

namespace Anvil.Machinery.Tests;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("100m", "100m")]
    [InlineData("1.5", "1500m")]
    [InlineData("0.5", "500m")]
    [InlineData("1000m", "1")]
    [InlineData("1e3", "1e3")]
    [InlineData("1.5e3", "1500")]
    [InlineData("1k", "1k")]
    [InlineData("1000", "1k")]
    [InlineData("0.1", "100m")]
    [InlineData("2Gi", "2Gi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("2048Ki", "2Mi")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("500Mi", "500Mi")]
    [InlineData("0.5Ki", "512")]
    [InlineData("1Ki", "1Ki")]
    [InlineData("0", "0")]
    [InlineData("00", "0")]
    [InlineData("-0", "0")]
    [InlineData("+1", "+1")]
    [InlineData("-100m", "-100m")]
    [InlineData("1n", "1n")]
    [InlineData("0.0000000001", "1n")]
    [InlineData("1.", "1.")] // upstream keeps an already-canonical input string as is
    [InlineData("12e6", "12e6")]
    [InlineData("1E", "1E")]
    [InlineData("1e-3", "1e-3")]
    [InlineData("100M", "100M")]
    [InlineData("1.1M", "1100k")]
    [InlineData("100000000000000000000", "9223372036854775807")]
    public void CanonicalForm(string input, string expected) => Assert.Equal(expected, Quantity.Parse(input).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("1Gb")]
    [InlineData("1 Gi")]
    [InlineData("1Gi5x")]
    public void InvalidFormat(string input)
    {
        var e = Assert.Throws<FormatException>(() => Quantity.Parse(input));
        Assert.Equal("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", e.Message);
    }

    [Theory]
    [InlineData("1K")]
    [InlineData("1e")]
    [InlineData("1Gi5")]
    [InlineData("1mi")]
    [InlineData("--1")]
    public void InvalidSuffix(string input)
    {
        Assert.False(Quantity.TryParse(input, out _, out var error));
        Assert.Equal("unable to parse quantity's suffix", error);
    }

    [Theory]
    [InlineData("100m", 100, 1)]
    [InlineData("1.5", 1500, 2)]
    [InlineData("1", 1000, 1)]
    [InlineData("1n", 1, 1)]
    [InlineData("-100m", -100, -1)]
    [InlineData("1Ki", 1024000, 1024)]
    [InlineData("2Gi", 2147483648000, 2147483648)]
    public void MilliValueAndValueRoundUp(string input, long milli, long value)
    {
        var q = Quantity.Parse(input);
        Assert.Equal(milli, q.MilliValue);
        Assert.Equal(value, q.Value);
    }

    [Theory]
    [InlineData("1", "1000m", 0)]
    [InlineData("1Ki", "1024", 0)]
    [InlineData("1k", "1Ki", -1)]
    [InlineData("500Mi", "0.5Gi", -1)]
    [InlineData("2", "1999m", 1)]
    public void Compare(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(Quantity.Parse(a).CompareTo(Quantity.Parse(b))));
        Assert.Equal(expected == 0, Quantity.Parse(a) == Quantity.Parse(b));
    }

    [Theory]
    [InlineData("100m", "200m", "300m", "-100m")]
    [InlineData("1Gi", "512Mi", "1536Mi", "512Mi")]
    [InlineData("0", "1Gi", "1Gi", "-1Gi")]
    [InlineData("1", "500m", "1500m", "500m")]
    public void AddAndSubtract(string a, string b, string sum, string difference)
    {
        Assert.Equal(sum, (Quantity.Parse(a) + Quantity.Parse(b)).ToString());
        Assert.Equal(difference, (Quantity.Parse(a) - Quantity.Parse(b)).ToString());
    }

    [Fact]
    public void FormatFollowsSuffix()
    {
        Assert.Equal(QuantityFormat.BinarySI, Quantity.Parse("1Mi").Format);
        Assert.Equal(QuantityFormat.DecimalSI, Quantity.Parse("1M").Format);
        Assert.Equal(QuantityFormat.DecimalExponent, Quantity.Parse("1e6").Format);
        Assert.Equal(QuantityFormat.BinarySI, Quantity.Parse("0.5Ki").Format);
        Assert.Equal(QuantityFormat.DecimalSI, Quantity.Parse("0.0001Ki").Format);
    }
}
