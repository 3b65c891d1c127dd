using Anvil.ApiServer.Authentication;

namespace Anvil.ApiServer.Registry;

/// <summary>How a request asked unknown and duplicate fields to be handled (<c>fieldValidation</c>).</summary>
public enum FieldValidationMode { Ignore, Warn, Strict }

/// <summary>Per-request options of a write: <c>dryRun=All</c>, <c>fieldManager</c>, the caller.</summary>
public sealed record WriteOptions
{
    public bool DryRun { get; init; }
    public string FieldManager { get; init; } = "";
    public UserInfo User { get; init; } = UserInfo.Anonymous;
    /// <summary>The subresource written ("" for the main resource; "status", "scale", ...).</summary>
    public string Subresource { get; init; } = "";
    /// <summary>Server-side apply has already recorded managedFields for this write.</summary>
    public bool IsApply { get; init; }

    /// <summary>
    /// Set by the registry when a create or update was stored: the stored JSON (without resourceVersion) and its
    /// revision, which are the returned object's bytes, so a JSON answer needs no second serialization.
    /// </summary>
    public (ReadOnlyMemory<byte> Json, long Revision)? Stored { get; set; }

    /// <summary>Warnings collected while processing, returned in the Warning header.</summary>
    public List<string> Warnings { get; } = [];
}
