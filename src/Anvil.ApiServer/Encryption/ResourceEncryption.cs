namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One entry of an EncryptionConfiguration's <c>resources</c>: which resources it covers and the providers'
/// keys in order. The first key encrypts new writes; every key (and identity, when listed) can read.
/// </summary>
public sealed class ResourceEncryption
{
    public ResourceEncryption(IReadOnlyList<string> resources, IReadOnlyList<ValueTransformer> transformers)
    {
        if (resources.Count == 0) throw new EncryptionException("resources: Required value: at least one resource is required");
        if (transformers.Count == 0) throw new EncryptionException("providers: Required value: at least one provider is required");
        Resources = resources;
        Transformers = transformers;
    }

    /// <summary>Names as in the configuration: <c>secrets</c>, <c>deployments.apps</c>, <c>*.apps</c>, <c>*.</c> (all core), <c>*.*</c>.</summary>
    public IReadOnlyList<string> Resources { get; }

    public IReadOnlyList<ValueTransformer> Transformers { get; }

    /// <summary>The transformer new writes use.</summary>
    public ValueTransformer Writer => Transformers[0];

    /// <summary>Whether this entry covers a resource of an API group ("" for core).</summary>
    public bool Covers(string group, string resource)
    {
        foreach (var r in Resources)
        {
            var dot = r.IndexOf('.');
            var (res, grp) = dot < 0 ? (r, "") : (r[..dot], r[(dot + 1)..]);
            if ((grp == "*" || grp == group) && (res == "*" || res == resource)) return true;
        }
        return false;
    }

    /// <summary>The store key prefixes under which covered values live (<c>/registry/core/secrets/</c>).</summary>
    public IEnumerable<string> KeyPrefixes()
    {
        foreach (var r in Resources)
        {
            var dot = r.IndexOf('.');
            var (res, grp) = dot < 0 ? (r, "") : (r[..dot], r[(dot + 1)..]);
            if (grp == "*") yield return "/registry/";
            else if (res == "*") yield return $"/registry/{(grp.Length == 0 ? "core" : grp)}/";
            else yield return $"/registry/{(grp.Length == 0 ? "core" : grp)}/{res}/";
        }
    }

    /// <summary>The transformer that reads a stored value: the key whose prefix it carries, else identity when configured.</summary>
    /// <exception cref="EncryptionException">No configured key matches.</exception>
    public ValueTransformer ReaderFor(ReadOnlySpan<byte> stored)
    {
        ValueTransformer? identity = null;
        foreach (var t in Transformers)
        {
            if (t.Prefix.Length == 0) identity ??= t;
            else if (StartsWithAscii(stored, t.Prefix)) return t;
        }
        return identity ?? throw new EncryptionException("no matching prefix found");
    }

    private static bool StartsWithAscii(ReadOnlySpan<byte> data, string prefix)
    {
        if (data.Length < prefix.Length) return false;
        for (var i = 0; i < prefix.Length; i++)
            if (data[i] != prefix[i]) return false;
        return true;
    }
}
