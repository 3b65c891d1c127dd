using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Selectors;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static readonly ITablePrinter Deployment = Printer(
        [NameColumn, Col("Ready", "string", "Number of the pod with ready state"),
         Col("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
         Col("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
         AgeColumn, ContainersColumn, ImagesColumn,
         Col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1)],
        (o, now) =>
        {
            var (names, images) = TableFormat.Containers(Json.At(o, "spec", "template", "spec"));
            string selector;
            try
            {
                // LabelSelectorAsSelector(...).String(): a missing selector prints as "", not "<none>".
                selector = LabelSelector.FromLabelSelectorJson(Json.Obj(o, "spec", "selector")).ToString();
            }
            catch (StatusError)
            {
                selector = "<invalid>";
            }
            return [Name(o), $"{Json.Int(o, "status", "readyReplicas")}/{Json.Int(o, "spec", "replicas")}",
                    Json.Int(o, "status", "updatedReplicas"), Json.Int(o, "status", "availableReplicas"), TableFormat.Age(o, now),
                    names, images, selector];
        });

    private static readonly ITablePrinter ReplicaSet = Printer(
        [NameColumn, Col("Desired", "integer", "Replicas is the number of desired replicas."),
         Col("Current", "integer", "Replicas is the most recently observed number of replicas."),
         Col("Ready", "integer", "The number of ready replicas for this replica set."), AgeColumn, ContainersColumn, ImagesColumn,
         Col("Selector", "string", "Selector is a label query over pods that should match the replica count.", 1)],
        (o, now) =>
        {
            var (names, images) = TableFormat.Containers(Json.At(o, "spec", "template", "spec"));
            return [Name(o), Json.Int(o, "spec", "replicas"), Json.Int(o, "status", "replicas"), Json.Int(o, "status", "readyReplicas"),
                    TableFormat.Age(o, now), names, images, TableFormat.FormatLabelSelector(Json.Obj(o, "spec", "selector"))];
        });

    private static readonly ITablePrinter Job = Printer(
        [NameColumn, Col("Status", "string", "Status of the job."),
         Col("Completions", "string", "The number of pods which reached phase Succeeded."),
         Col("Duration", "string", "Time required to complete the job."), AgeColumn, ContainersColumn, ImagesColumn,
         Col("Selector", "string", "A label query over pods that should match the pod count.", 1)],
        (o, now) =>
        {
            var succeeded = Json.Int(o, "status", "succeeded");
            string completions;
            if (Json.IntOrNull(o, "spec", "completions") is { } wanted)
                completions = $"{succeeded}/{wanted}";
            else if (Json.Int(o, "spec", "parallelism") is var parallelism and > 1)
                completions = $"{succeeded}/1 of {parallelism}";
            else
                completions = $"{succeeded}/1";

            var start = Json.Time(o, "status", "startTime");
            var completion = Json.Time(o, "status", "completionTime");
            var duration = start is not { } s ? "" : TableFormat.HumanDuration((completion ?? now) - s);

            string status;
            if (HasCondition(o, "Complete")) status = "Complete";
            else if (HasCondition(o, "Failed")) status = "Failed";
            else if (Json.Has(o, "metadata", "deletionTimestamp")) status = "Terminating";
            else if (HasCondition(o, "Suspended")) status = "Suspended";
            else if (HasCondition(o, "FailureTarget")) status = "FailureTarget";
            else status = "Running";

            var (names, images) = TableFormat.Containers(Json.At(o, "spec", "template", "spec"));
            return [Name(o), status, completions, duration, TableFormat.Age(o, now), names, images,
                    TableFormat.FormatLabelSelector(Json.Obj(o, "spec", "selector"))];
        });

    // hasJobCondition: the first condition of the type decides.
    private static bool HasCondition(JsonObject o, string type) =>
        Json.Objects(o, "status", "conditions").FirstOrDefault(c => Json.Str(c, "type") == type) is { } c && Json.Str(c, "status") == "True";

    private static readonly ITablePrinter CronJob = Printer(
        [NameColumn, Col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
         Col("Timezone", "string", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
         Col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
         Col("Active", "integer", "A list of pointers to currently running jobs."),
         Col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."), AgeColumn,
         ContainersColumn, ImagesColumn, Col("Selector", "string", "A label query over pods that should match the pod count.", 1)],
        (o, now) =>
        {
            var last = Json.Time(o, "status", "lastScheduleTime") is { } t ? TableFormat.Since(t, now) : "<none>";
            var timeZone = Json.Has(o, "spec", "timeZone") ? Json.Str(o, "spec", "timeZone") : "<none>";
            // printBoolPtr: the cell is the text True/False/<unset> although the column says boolean.
            var suspend = Json.BoolOrNull(o, "spec", "suspend") switch { true => "True", false => "False", null => "<unset>" };
            var jobSpec = Json.At(o, "spec", "jobTemplate", "spec");
            var (names, images) = TableFormat.Containers(Json.At(jobSpec, "template", "spec"));
            return [Name(o), Json.Str(o, "spec", "schedule"), timeZone, suspend, (long)Json.Count(o, "status", "active"), last,
                    TableFormat.Age(o, now), names, images, TableFormat.FormatLabelSelector(Json.Obj(jobSpec, "selector"))];
        });

    private static readonly ITablePrinter PodDisruptionBudget = Printer(
        [NameColumn, Col("Min Available", "string", "The minimum number of pods that must be available."),
         Col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
         Col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."), AgeColumn],
        (o, now) =>
        [
            Name(o),
            Json.Has(o, "spec", "minAvailable") ? Json.IntOrString(Json.At(o, "spec", "minAvailable")) : "N/A",
            Json.Has(o, "spec", "maxUnavailable") ? Json.IntOrString(Json.At(o, "spec", "maxUnavailable")) : "N/A",
            Json.Int(o, "status", "disruptionsAllowed"),
            TableFormat.Age(o, now),
        ]);
}
