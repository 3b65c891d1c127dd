using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Batch;

/// <summary>batch/v1 Job (pkg/registry/batch/job/strategy.go, batch/v1 defaults).</summary>
public sealed class JobStrategy : BuiltinStrategy
{
    public static readonly JobStrategy Instance = new();

    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyControllerUidLabel = "controller-uid";
    public const string LegacyJobNameLabel = "job-name";

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        if (IsUnset(spec["completions"]) && IsUnset(spec["parallelism"]))
        {
            spec["completions"] = Number(1);
            spec["parallelism"] = Number(1);
        }
        Int(spec, "parallelism", 1);
        Int(spec, "backoffLimit", IsUnset(spec["backoffLimitPerIndex"]) ? 6 : int.MaxValue);
        String(spec, "completionMode", "NonIndexed");
        Bool(spec, "suspend", false);
        foreach (var rule in Items(Child(spec, "podFailurePolicy"), "rules"))
            foreach (var pattern in Items(rule, "onPodConditions"))
                String(pattern, "status", "True");
        String(spec, "podReplacementPolicy", IsUnset(spec["podFailurePolicy"]) ? "TerminatingOrFailed" : "Failed");
        Bool(spec, "manualSelector", false);
        PodSpecDefaults.DefaultPodTemplate(Object(spec, "template"));
        CopyTemplateLabels(obj);
    }

    /// <summary>SetDefaults_Job: a job without labels takes its template's labels.</summary>
    static void CopyTemplateLabels(JsonObject obj)
    {
        var labels = obj["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        var meta = Meta(obj);
        if (labels != null && (meta["labels"] as JsonObject)?.Count is null or 0) meta["labels"] = labels.DeepClone();
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new();

    /// <summary>
    /// Generates the selector and template labels from the job's uid and name unless spec.manualSelector is true.
    /// Needs metadata.uid set (the store fills system fields first, as kube-apiserver does).
    /// </summary>
    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        var spec = Object(obj, "spec");
        if (Bool(spec["manualSelector"]) == true) return;
        var meta = Meta(obj);
        var name = Str(meta["name"]) ?? "";
        var uid = Str(meta["uid"]) ?? "";
        var labels = Object(Object(Object(spec, "template"), "metadata"), "labels");
        foreach (var key in (string[])[LegacyJobNameLabel, JobNameLabel])
            if (!labels.ContainsKey(key)) labels[key] = name;
        foreach (var key in (string[])[LegacyControllerUidLabel, ControllerUidLabel])
            if (!labels.ContainsKey(key)) labels[key] = uid;
        var matchLabels = Object(Object(spec, "selector"), "matchLabels");
        if (!matchLabels.ContainsKey(ControllerUidLabel)) matchLabels[ControllerUidLabel] = uid;
        // Reads of the stored job run defaulting again, which copies the generated template labels.
        CopyTemplateLabels(obj);
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var errs = ValidateGeneratedSelector(obj, requirePrefixedLabels: true);
        var spec = Child(obj, "spec") ?? new JsonObject();
        errs.AddRange(ValidateJobSpec(spec));
        var name = Str(obj["metadata"]?["name"]) ?? "";
        if (Str(spec["completionMode"]) == "Indexed" && Int(spec["completions"]) is > 0 and var completions)
        {
            var hostname = $"{name}-{completions - 1}";
            if (NameValidation.IsDns1123Label(hostname).Count > 0)
                errs.Add(FieldError.Invalid("metadata.name", name, $"will not able to create pod with invalid DNS label: {hostname}"));
        }
        return errs;
    }

    public override IEnumerable<string> WarningsOnCreate(JsonObject obj)
    {
        var name = Str(obj["metadata"]?["name"]) ?? "";
        if (NameValidation.IsDns1123Label(name) is { Count: > 0 } msgs)
            yield return "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [" + string.Join(" ", msgs) + "]";
    }

    static List<FieldError> ValidateGeneratedSelector(JsonObject obj, bool requirePrefixedLabels)
    {
        var errs = new List<FieldError>();
        var spec = Child(obj, "spec");
        if (Bool(spec?["manualSelector"]) == true) return errs;
        var templateMeta = Child(Child(spec, "template"), "metadata");
        if (templateMeta?["labels"] is not JsonObject labels || IsUnset(spec?["selector"])) return errs;
        var uid = Str(obj["metadata"]?["uid"]) ?? "";
        var name = Str(obj["metadata"]?["name"]) ?? "";
        if (uid.Length == 0) errs.Add(FieldError.Required("metadata.uid"));
        var checks = new List<(string Key, string Value)> { (LegacyControllerUidLabel, uid), (LegacyJobNameLabel, name) };
        if (requirePrefixedLabels) checks.AddRange([(ControllerUidLabel, uid), (JobNameLabel, name)]);
        foreach (var (key, expected) in checks)
        {
            if (!labels.ContainsKey(key)) errs.Add(FieldError.Required($"spec.template.metadata.labels[{key}]", expected));
            else if (Str(labels[key]) != expected)
                errs.Add(FieldError.Invalid($"spec.template.metadata.labels[{key}]", GoFormat.StringMap(labels), $"must be '{expected}'"));
        }
        var expectedLabels = new JsonObject { [requirePrefixedLabels ? ControllerUidLabel : LegacyControllerUidLabel] = uid };
        if (!LabelValidation.Matches(spec!["selector"], expectedLabels))
            errs.Add(FieldError.Invalid("spec.selector", LabelValidation.GoLabelSelector(spec["selector"]), "`selector` not auto-generated"));
        return errs;
    }

    static List<FieldError> ValidateJobSpec(JsonObject spec)
    {
        var errs = JobValidation.ValidateJobSpecFields(spec, "spec");
        var selector = spec["selector"];
        if (IsUnset(selector)) errs.Add(FieldError.Required("spec.selector"));
        else errs.AddRange(LabelValidation.ValidateLabelSelector(selector, "spec.selector"));
        var labels = spec["template"]?["metadata"]?["labels"];
        if (!IsUnset(selector) && !LabelValidation.Matches(selector, labels))
            errs.Add(FieldError.Invalid("spec.template.metadata.labels", GoFormat.StringMap(labels), "`selector` does not match template `labels`"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var oldLabels = old["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        var errs = ValidateGeneratedSelector(obj, oldLabels?.ContainsKey(ControllerUidLabel) == true);
        var spec = Child(obj, "spec") ?? new JsonObject();
        var oldSpec = Child(old, "spec") ?? new JsonObject();
        errs.AddRange(ValidateJobSpec(spec));
        // Elastic indexed jobs: completions may change with parallelism for Indexed jobs.
        var elastic = Str(spec["completionMode"]) == "Indexed" && Str(oldSpec["completionMode"]) == "Indexed"
            && JsonNode.DeepEquals(spec["completions"], spec["parallelism"]);
        if (!elastic) errs.AddRange(Immutable(spec, oldSpec, "completions"));
        if (!JsonNode.DeepEquals(spec["selector"], oldSpec["selector"]))
            errs.Add(FieldError.Invalid("spec.selector", LabelValidation.GoLabelSelector(spec["selector"]), ObjectMetaValidation.FieldImmutableErrorMsg));
        errs.AddRange(ValidateTemplateUpdate(obj, old));
        foreach (var f in (string[])["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"])
            errs.AddRange(Immutable(spec, oldSpec, f));
        return errs;
    }

    static IEnumerable<FieldError> Immutable(JsonObject spec, JsonObject oldSpec, string field) =>
        ObjectMetaValidation.ValidateImmutableField(spec[field], oldSpec[field], "spec." + field);

    /// <summary>The template is immutable, except scheduling directives of a suspended job that never started.</summary>
    static IEnumerable<FieldError> ValidateTemplateUpdate(JsonObject obj, JsonObject old)
    {
        var t = obj["spec"]?["template"];
        var o = old["spec"]?["template"];
        if (JsonNode.DeepEquals(t, o)) yield break;
        var mutableScheduling = Bool(old["spec"]?["suspend"]) == true && IsUnset(old["status"]?["startTime"]);
        if (mutableScheduling && t is JsonObject nt && o is JsonObject ot)
        {
            var a = (JsonObject)nt.DeepClone();
            var b = (JsonObject)ot.DeepClone();
            foreach (var x in new[] { a, b })
            {
                (x["metadata"] as JsonObject)?.Remove("labels");
                (x["metadata"] as JsonObject)?.Remove("annotations");
                if (x["spec"] is JsonObject s)
                    foreach (var f in (string[])["nodeSelector", "tolerations", "affinity", "schedulingGates"]) s.Remove(f);
            }
            if (JsonNode.DeepEquals(a, b)) yield break;
        }
        yield return FieldError.Invalid("spec.template", t, ObjectMetaValidation.FieldImmutableErrorMsg);
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var status = Child(obj, "status") ?? new JsonObject();
        foreach (var f in (string[])["active", "succeeded", "failed", "terminating", "ready"])
            foreach (var e in ObjectMetaValidation.ValidateNonnegative(Int(status[f]), "status." + f)) yield return e;
    }
}
