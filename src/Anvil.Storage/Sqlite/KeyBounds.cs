using System.Text;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// The byte range of keys that start with a prefix: [<see cref="Low"/>, <see cref="High"/>) in UTF-8 byte
/// order, which is how SQLite compares TEXT. <see cref="High"/> is the prefix with its last byte raised by one;
/// a UTF-8 string never holds 0xFF, so the raise never carries, and the empty prefix gets { 0xFF }.
/// </summary>
internal readonly record struct KeyBounds(string Low, byte[] High)
{
    public static KeyBounds ForPrefix(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        if (bytes.Length == 0)
        {
            return new KeyBounds(prefix, [0xFF]);
        }

        bytes[^1]++;
        return new KeyBounds(prefix, bytes);
    }

    /// <summary>UTF-8 byte order, the order SQLite lists keys in (UTF-16 ordinal order differs above U+D7FF).</summary>
    public static int Compare(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}
