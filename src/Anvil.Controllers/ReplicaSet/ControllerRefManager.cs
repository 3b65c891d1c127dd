using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>
/// Claims children for one owner (pkg/controller's BaseControllerRefManager.ClaimObject): keeps those it
/// controls and still selects, releases those it controls but no longer selects, and adopts matching
/// orphans — after re-reading the owner live once, so a deleted or recreated owner adopts nothing.
/// </summary>
public sealed class ControllerRefManager
{
    private readonly KubeClient _client;
    private readonly ResourceRef _children;
    private readonly ResourceRef _ownerResource;
    private readonly JsonObject _owner;
    private readonly string _ownerKind;
    private readonly LabelSelector _selector;
    private bool? _canAdopt;
    private string _cannotAdopt = "";

    public ControllerRefManager(KubeClient client, ResourceRef children, ResourceRef ownerResource, string ownerKind, JsonObject owner, LabelSelector selector)
    {
        _client = client;
        _children = children;
        _ownerResource = ownerResource;
        _ownerKind = ownerKind;
        _owner = owner;
        _selector = selector;
    }

    /// <summary>The children this owner keeps, with adoptions applied. Throws after the loop if any adoption or release failed.</summary>
    public async Task<List<JsonObject>> ClaimAsync(IEnumerable<JsonObject> candidates, CancellationToken ct)
    {
        var claimed = new List<JsonObject>();
        var errors = new List<string>();
        var ownerUid = ObjectMeta.Uid(_owner);
        foreach (var obj in candidates)
        {
            var reference = ControllerRef.Of(obj);
            var matches = _selector.Matches(ObjectMeta.Labels(obj));
            if (reference != null)
            {
                if (ControllerRef.Uid(reference) != ownerUid) continue;
                if (matches)
                {
                    claimed.Add(obj);
                    continue;
                }
                if (ObjectMeta.IsDeleting(_owner)) continue;
                try { await ReleaseAsync(obj, ct).ConfigureAwait(false); }
                catch (ApiException e) when (!e.IsNotFound) { errors.Add(e.Message); }
                continue;
            }
            if (ObjectMeta.IsDeleting(_owner) || !matches || ObjectMeta.IsDeleting(obj)) continue;
            if (ObjectMeta.Namespace(obj) != ObjectMeta.Namespace(_owner)) continue;
            if (!await CanAdoptAsync(ct).ConfigureAwait(false))
            {
                errors.Add(_cannotAdopt);
                continue;
            }
            try
            {
                claimed.Add(await AdoptAsync(obj, ct).ConfigureAwait(false));
            }
            catch (ApiException e) when (!e.IsNotFound)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors.Distinct()));
        return claimed;
    }

    /// <summary>RecheckDeletionTimestamp: the owner, read live, is the same object and not being deleted.</summary>
    private async Task<bool> CanAdoptAsync(CancellationToken ct)
    {
        if (_canAdopt is { } known) return known;
        var name = ObjectMeta.Name(_owner);
        var ns = ObjectMeta.Namespace(_owner);
        try
        {
            var fresh = await _client.GetAsync(_ownerResource, ns, name, ct).ConfigureAwait(false);
            if (ObjectMeta.Uid(fresh) != ObjectMeta.Uid(_owner))
                _cannotAdopt = $"original {_ownerKind} {ns}/{name} is gone: got uid {ObjectMeta.Uid(fresh)}, wanted {ObjectMeta.Uid(_owner)}";
            else if (ObjectMeta.IsDeleting(fresh))
                _cannotAdopt = $"{ns}/{name} has just been deleted at {(string?)fresh["metadata"]?["deletionTimestamp"]}";
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            _cannotAdopt = $"original {_ownerKind} {ns}/{name} is gone";
        }
        _canAdopt = _cannotAdopt.Length == 0;
        return _canAdopt.Value;
    }

    private Task<JsonObject> AdoptAsync(JsonObject obj, CancellationToken ct)
    {
        var refs = ObjectMeta.OwnerReferences(obj).Select(r => (JsonNode?)r.DeepClone()).ToList();
        refs.Add(ControllerRef.New(_owner, (string?)_owner["apiVersion"] ?? "apps/v1", _ownerKind));
        return PatchOwnersAsync(obj, refs, ct);
    }

    private Task<JsonObject> ReleaseAsync(JsonObject obj, CancellationToken ct)
    {
        var ownerUid = ObjectMeta.Uid(_owner);
        var refs = ObjectMeta.OwnerReferences(obj).Where(r => (string?)r["uid"] != ownerUid).Select(r => (JsonNode?)r.DeepClone()).ToList();
        return PatchOwnersAsync(obj, refs, ct);
    }

    // A merge patch replaces the whole list; uid and resourceVersion make it apply to exactly what we saw.
    private Task<JsonObject> PatchOwnersAsync(JsonObject obj, List<JsonNode?> refs, CancellationToken ct) =>
        _client.PatchAsync(_children, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj), new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = refs.Count == 0 ? null : new JsonArray(refs.ToArray()),
                ["uid"] = ObjectMeta.Uid(obj),
                ["resourceVersion"] = ObjectMeta.ResourceVersion(obj),
            },
        }, ct: ct);
}
