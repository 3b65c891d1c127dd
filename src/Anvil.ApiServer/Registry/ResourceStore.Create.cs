using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

public sealed partial class ResourceStore
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>
    /// Creates an object: system metadata, generated name, strategy (rest.BeforeCreate order), admission,
    /// then a guarded insert. Returns the stored object.
    /// </summary>
    public async Task<JsonObject> CreateAsync(ResourceDefinition def, string ns, JsonObject obj, WriteOptions options, CancellationToken ct)
    {
        var meta = ObjectMeta.Of(obj);
        DecodeAsGoTypes(def, obj);
        PrepareObjectMetaForCreate(def, ns, obj, meta);

        def.Strategy.Default(obj);
        var attrs = new AdmissionAttributes(AdmissionOperation.Create, def, options.Subresource, ns, ObjectMeta.Name(obj), obj, null, options.User, options.DryRun) { Warnings = options.Warnings };
        await _admission.MutateAsync(attrs, ct).ConfigureAwait(false);

        // generateName is resolved after mutation so admission sees the request as sent.
        if (ObjectMeta.Name(obj).Length == 0 && ObjectMeta.GenerateName(obj).Length > 0)
            meta["name"] = ObjectMeta.GenerateName(obj) + RandomSuffix();

        def.Strategy.PrepareForCreate(obj, options.User);
        if (def.Group.Length == 0 && def.Resource == "services")
            await _services.AllocateAsync(this, def, obj, null, options.DryRun, ct).ConfigureAwait(false);
        var errors = MetaValidation.ValidateForCreate(def, obj);
        errors.AddRange(def.Strategy.Validate(obj));
        ThrowIfInvalid(def, obj, errors);
        options.Warnings.AddRange(def.Strategy.WarningsOnCreate(obj));
        def.Strategy.Canonicalize(obj);
        if (!options.IsApply) ManagedFields?.OnCreate(def, obj, options);
        MetadataCanonical.DropEmpty(obj);

        await _admission.ValidateAsync(attrs with { Name = ObjectMeta.Name(obj) }, ct).ConfigureAwait(false);

        var bytes = Encode(def, obj);
        if (options.DryRun) return obj;
        try
        {
            var rev = await _store.CreateAsync(def.Key(ns, ObjectMeta.Name(obj)), bytes, ct).ConfigureAwait(false);
            SetRevision(obj, rev);
            options.Stored = (bytes, rev);
            return obj;
        }
        catch (KeyExistsException)
        {
            throw StatusError.AlreadyExists(def.GroupResource, ObjectMeta.Name(obj));
        }
    }

    /// <summary>
    /// Built-in kinds behave as if decoded into their Go types: wrong JSON types are a 400, unknown fields
    /// are dropped (custom resources are pruned by their own schema in their strategy).
    /// </summary>
    private static void DecodeAsGoTypes(ResourceDefinition def, JsonObject obj)
    {
        if (def.IsCustom || def.Schema == null) return;
        if (Anvil.Machinery.FieldValidation.GoDecodeCheck.FindTypeError(obj, def.Schema) is { } error)
            throw StatusError.BadRequest($"{def.Kind} in version \"{def.Version}\" cannot be handled as a {def.Kind}: {error}");
        Anvil.Machinery.FieldValidation.GoDecodeCheck.DropUnknownFields(obj, def.Schema);
    }

    private void PrepareObjectMetaForCreate(ResourceDefinition def, string ns, JsonObject obj, JsonObject meta)
    {
        obj["apiVersion"] = def.ApiVersion;
        obj["kind"] = def.Kind;
        if (def.Namespaced)
        {
            var bodyNs = ObjectMeta.Namespace(obj);
            if (bodyNs.Length > 0 && bodyNs != ns)
                throw StatusError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
        }
        else
        {
            meta.Remove("namespace");
        }
        if (ObjectMeta.ResourceVersion(obj).Length > 0)
            throw StatusError.BadRequest("resourceVersion should not be set on objects to be created");
        meta.Remove("resourceVersion");
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
    }

    private static string RandomSuffix()
    {
        Span<char> s = stackalloc char[5];
        for (var i = 0; i < s.Length; i++) s[i] = GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)];
        return new string(s);
    }

    private readonly Core.ServiceAllocator _services = new();

    /// <summary>Hook for managedFields bookkeeping (server-side apply's field manager); null = none.</summary>
    public IManagedFieldsHook? ManagedFields { get; set; }
}
