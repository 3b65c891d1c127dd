namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    // printMutatingWebhook / printValidatingWebhook: NAME WEBHOOKS AGE.
    private static readonly ITablePrinter WebhookConfiguration = Printer(
        [NameColumn, Col("Webhooks", "integer", "Webhooks indicates the number of webhooks."), AgeColumn],
        (o, now) => [Name(o), (long)Json.Objects(o, "webhooks").Count(), TableFormat.Age(o, now)]);
}
