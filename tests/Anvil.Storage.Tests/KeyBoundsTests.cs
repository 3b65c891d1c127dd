using System.Text;
using Anvil.Storage.Sqlite;

namespace Anvil.Storage.Tests;

public sealed class KeyBoundsTests
{
    [Theory]
    [InlineData("", "FF")]
    [InlineData("/a/", "2F6130")]
    [InlineData("/registry/pods/", "2F72656769737472792F706F647330")]
    [InlineData("é", "C3AA")]
    [InlineData("\uFFFF", "EFBFC0")]
    public void HighIsPrefixWithLastByteRaised(string prefix, string high)
    {
        var bounds = KeyBounds.ForPrefix(prefix);
        Assert.Equal(prefix, bounds.Low);
        Assert.Equal(high, Convert.ToHexString(bounds.High));
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("b", "a", 1)]
    [InlineData("a", "a", 0)]
    [InlineData("a", "ab", -1)]
    [InlineData("\uFFFF", "\U0001F600", -1)] // UTF-16 ordinal order would say the opposite
    public void CompareIsUtf8ByteOrder(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(KeyBounds.Compare(a, b)));
        Assert.Equal(sign, Math.Sign(Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b))));
    }
}
