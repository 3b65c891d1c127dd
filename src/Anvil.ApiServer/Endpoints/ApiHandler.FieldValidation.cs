using System.Text;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.FieldValidation;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    private SchemaNode? ObjectMetaSchema => _schemas.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

    private static FieldValidationDirective Directive(HttpContext ctx)
    {
        var text = ctx.Request.Query["fieldValidation"].ToString();
        return FieldValidator.ParseDirective(text)
            ?? throw StatusError.BadRequest($"fieldValidation: Unsupported value: \"{text}\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    }

    /// <summary>
    /// Unknown and duplicate fields of a create/update body: Strict refuses the request (400), Warn answers
    /// with Warning headers, Ignore drops them silently. The check reads the raw body so duplicates are seen.
    /// </summary>
    private void ValidateFields(HttpContext ctx, ResourceDefinition def, byte[] body, JsonObjectKind bodyKind)
    {
        var directive = Directive(ctx);
        if (directive == FieldValidationDirective.Ignore || def.Schema == null) return;
        var problems = bodyKind == JsonObjectKind.Yaml
            ? FieldValidator.CheckYaml(Encoding.UTF8.GetString(body), def.Schema, ObjectMetaSchema, def.IsCustom)
            : FieldValidator.Check(body, def.Schema, ObjectMetaSchema, def.IsCustom);
        if (problems.Count == 0) return;
        if (directive == FieldValidationDirective.Strict)
            throw FieldValidator.StrictError(def.Gvk, def.Kind, problems);
        ResponseWriter.AddWarnings(ctx, FieldValidator.Warnings(problems));
    }

    /// <summary>
    /// Server-side apply turns the body into a typed object first; an unknown field fails that step with
    /// structured-merge-diff's message (Strict), or becomes a warning (Warn).
    /// </summary>
    private void ValidateApplyFields(HttpContext ctx, ResourceDefinition def, byte[] body, string ns, string name)
    {
        var directive = Directive(ctx);
        if (directive == FieldValidationDirective.Ignore || def.Schema == null) return;
        var problems = FieldValidator.CheckYaml(Encoding.UTF8.GetString(body), def.Schema, ObjectMetaSchema, def.IsCustom);
        if (problems.Count == 0) return;
        if (directive == FieldValidationDirective.Warn)
        {
            ResponseWriter.AddWarnings(ctx, FieldValidator.Warnings(problems));
            return;
        }
        var unknown = problems.Select(p => p.StartsWith("unknown field \"", StringComparison.Ordinal) ? p["unknown field \"".Length..^1] : null).OfType<string>().ToList();
        if (unknown.Count == 0) throw FieldValidator.StrictError(def.Gvk, def.Kind, problems);
        var target = def.Namespaced ? $"{ns}/{name}" : name;
        throw StatusError.BadRequest($"failed to create typed patch object ({target}; {def.ApiVersion}, Kind={def.Kind}): .{unknown[0]}: field not declared in schema");
    }

    /// <summary>Unknown fields of a patched object (merge, strategic and JSON patches).</summary>
    private void ValidatePatchedFields(HttpContext ctx, ResourceDefinition def, byte[] patchedJson, string patchText)
    {
        var directive = Directive(ctx);
        if (directive == FieldValidationDirective.Ignore || def.Schema == null) return;
        var problems = FieldValidator.Check(patchedJson, def.Schema, ObjectMetaSchema, def.IsCustom);
        if (problems.Count == 0) return;
        if (directive == FieldValidationDirective.Strict) throw FieldValidator.StrictPatchError(patchText, problems);
        ResponseWriter.AddWarnings(ctx, FieldValidator.Warnings(problems));
    }

    private enum JsonObjectKind { Json, Yaml }
}
