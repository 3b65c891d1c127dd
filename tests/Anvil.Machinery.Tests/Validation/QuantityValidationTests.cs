using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Tests.Validation;

public sealed class QuantityValidationTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("1000m", "1")]
    [InlineData("1500m", "1500m")]
    [InlineData("0.5", "500m")]
    [InlineData("2000", "2k")]
    [InlineData("1.5k", "1500")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1536Mi", "1536Mi")]
    [InlineData("0.5Ki", "512")]
    [InlineData("128974848", "128974848")]
    [InlineData("129e6", "129e6")]
    [InlineData("129M", "129M")]
    [InlineData("1e3", "1e3")]
    [InlineData("0", "0")]
    [InlineData("-1", "-1")]
    public void CanonicalForm(string input, string canonical) => Assert.Equal(canonical, QuantityValidation.Canonicalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("1x")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("1Gb")]
    public void NotAQuantity(string input) => Assert.Null(QuantityValidation.Canonicalize(input));

    [Fact]
    public void NegativeIsInvalid() =>
        Assert.Equal(["spec.x: Invalid value: \"-100m\": must be greater than or equal to 0"],
            QuantityValidation.ValidateNonnegativeQuantity("-0.1", "spec.x").Select(e => e.ToString()));
}
