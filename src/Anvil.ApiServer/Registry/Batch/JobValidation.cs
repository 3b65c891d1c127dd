using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Batch;

/// <summary>validateJobSpec of pkg/apis/batch/validation, shared by Job and CronJob's jobTemplate.</summary>
internal static class JobValidation
{
    public static List<FieldError> ValidateJobSpecFields(JsonObject spec, string path)
    {
        var errs = new List<FieldError>();
        foreach (var f in (string[])["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"])
            errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec[f]), path + "." + f));
        if (Str(spec["completionMode"]) is { } mode)
        {
            if (mode is not ("NonIndexed" or "Indexed"))
                errs.Add(FieldError.NotSupported(path + ".completionMode", mode, ["NonIndexed", "Indexed"]));
            if (mode == "Indexed")
            {
                if (IsUnset(spec["completions"])) errs.Add(FieldError.Required(path + ".completions", "when completion mode is Indexed"));
                if (Int(spec["parallelism"]) is > 100000 and var par)
                    errs.Add(FieldError.Invalid(path + ".parallelism", par, "must be less than or equal to 100000 when completion mode is Indexed"));
            }
        }
        if (Str(spec["podReplacementPolicy"]) is { } prp)
        {
            if (prp is not ("TerminatingOrFailed" or "Failed"))
                errs.Add(FieldError.NotSupported(path + ".podReplacementPolicy", prp, ["Failed", "TerminatingOrFailed"]));
            else if (prp == "TerminatingOrFailed" && !IsUnset(spec["podFailurePolicy"]))
                errs.Add(FieldError.NotSupported(path + ".podReplacementPolicy", prp, ["Failed"]));
        }
        var template = Child(spec, "template") ?? new JsonObject();
        errs.AddRange(PodSpecValidation.ValidatePodTemplateSpec(template, path + ".template"));
        var restart = Str(Child(template, "spec")?["restartPolicy"]) ?? "";
        if (restart is "Always" or "")
            errs.Add(FieldError.Required(path + ".template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\""));
        else if (restart is not ("OnFailure" or "Never"))
            errs.Add(FieldError.NotSupported(path + ".template.spec.restartPolicy", restart, ["OnFailure", "Never"]));
        return errs;
    }
}
