using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Batch;

/// <summary>batch/v1 CronJob (pkg/registry/batch/cronjob/strategy.go). The job template gets pod defaults only, not Job defaults.</summary>
public sealed class CronJobStrategy : BuiltinStrategy
{
    public static readonly CronJobStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        String(spec, "concurrencyPolicy", "Allow");
        Bool(spec, "suspend", false);
        Int(spec, "successfulJobsHistoryLimit", 3);
        Int(spec, "failedJobsHistoryLimit", 1);
        var jobTemplate = Object(spec, "jobTemplate");
        PodSpecDefaults.DefaultTemplateMetadata(jobTemplate);
        PodSpecDefaults.DefaultPodTemplate(Object(Object(jobTemplate, "spec"), "template"));
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new();

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var errs = ValidateSpec(Child(obj, "spec") ?? new JsonObject(), null);
        var name = Str(obj["metadata"]?["name"]) ?? "";
        // The controller appends an 11-character suffix to job names, which are limited to 63.
        if (name.Length > 52) errs.Add(FieldError.Invalid("metadata.name", name, "must be no more than 52 characters"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        ValidateSpec(Child(obj, "spec") ?? new JsonObject(), Child(old, "spec") ?? new JsonObject());

    static List<FieldError> ValidateSpec(JsonObject spec, JsonObject? oldSpec)
    {
        var errs = new List<FieldError>();
        var schedule = Str(spec["schedule"]) ?? "";
        if (schedule.Length == 0) errs.Add(FieldError.Required("spec.schedule"));
        else
        {
            if (Anvil.Machinery.Scheduling.CronSchedule.Validate(schedule) is { } err) errs.Add(FieldError.Invalid("spec.schedule", schedule, err));
            var allowTz = oldSpec != null && (Str(oldSpec["schedule"]) ?? "").Contains("TZ");
            if (allowTz && schedule.Contains("TZ") && !IsUnset(spec["timeZone"]))
                errs.Add(FieldError.Invalid("spec.schedule", schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
            else if (!allowTz && schedule.Contains("TZ"))
                errs.Add(FieldError.Invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
        }
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["startingDeadlineSeconds"]), "spec.startingDeadlineSeconds"));
        if (oldSpec == null || !JsonNode.DeepEquals(oldSpec["timeZone"], spec["timeZone"]))
            errs.AddRange(ValidateTimeZone(Str(spec["timeZone"])));
        var policy = Str(spec["concurrencyPolicy"]) ?? "";
        if (policy.Length == 0) errs.Add(FieldError.Required("spec.concurrencyPolicy"));
        else if (policy is not ("Allow" or "Forbid" or "Replace"))
            errs.Add(FieldError.NotSupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]));
        var jobSpec = Child(Child(spec, "jobTemplate"), "spec") ?? new JsonObject();
        errs.AddRange(JobValidation.ValidateJobSpecFields(jobSpec, "spec.jobTemplate.spec"));
        if (!IsUnset(jobSpec["selector"]))
            errs.Add(FieldError.Invalid("spec.jobTemplate.spec.selector", LabelValidation.GoLabelSelector(jobSpec["selector"]), "`selector` will be auto-generated"));
        if (Bool(jobSpec["manualSelector"]) == true)
            errs.Add(FieldError.NotSupported("spec.jobTemplate.spec.manualSelector", true, ["nil", "false"]));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["successfulJobsHistoryLimit"]), "spec.successfulJobsHistoryLimit"));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["failedJobsHistoryLimit"]), "spec.failedJobsHistoryLimit"));
        return errs;
    }

    static IEnumerable<FieldError> ValidateTimeZone(string? tz)
    {
        if (tz == null) yield break;
        if (tz.Length == 0) { yield return FieldError.Invalid("spec.timeZone", tz, "unknown time zone " + tz); yield break; }
        if (tz.Equals("Local", StringComparison.OrdinalIgnoreCase))
        {
            yield return FieldError.Invalid("spec.timeZone", tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
            yield break;
        }
        bool known;
        try { TimeZoneInfo.FindSystemTimeZoneById(tz); known = true; }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { known = false; }
        if (!known) yield return FieldError.Invalid("spec.timeZone", tz, "unknown time zone " + tz);
    }
}
