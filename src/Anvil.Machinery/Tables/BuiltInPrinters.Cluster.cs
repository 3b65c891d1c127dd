using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static readonly ITablePrinter RoleBinding = BindingPrinter("roleBinding");

    private static readonly ITablePrinter ClusterRoleBinding = BindingPrinter("clusterRoleBinding");

    private static ITablePrinter BindingPrinter(string what) => Printer(
        [NameColumn, Col("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."), AgeColumn,
         Col("Users", "string", $"Users in the {what}", 1), Col("Groups", "string", $"Groups in the {what}", 1),
         Col("ServiceAccounts", "string", $"ServiceAccounts in the {what}", 1)],
        (o, now) =>
        {
            // rbac.SubjectsStrings: users and groups by name, service accounts as namespace/name.
            var users = new List<string>();
            var groups = new List<string>();
            var serviceAccounts = new List<string>();
            foreach (var s in Json.Objects(o, "subjects"))
            {
                switch (Json.Str(s, "kind"))
                {
                    case "ServiceAccount": serviceAccounts.Add(Json.Str(s, "namespace") + "/" + Json.Str(s, "name")); break;
                    case "User": users.Add(Json.Str(s, "name")); break;
                    case "Group": groups.Add(Json.Str(s, "name")); break;
                }
            }
            return [Name(o), Json.Str(o, "roleRef", "kind") + "/" + Json.Str(o, "roleRef", "name"), TableFormat.Age(o, now),
                    string.Join(", ", users), string.Join(", ", groups), string.Join(", ", serviceAccounts)];
        });

    private static readonly ITablePrinter Lease = Printer(
        [NameColumn, Col("Holder", "string", "holderIdentity contains the identity of the holder of a current lease."), AgeColumn],
        (o, now) => [Name(o), Json.Str(o, "spec", "holderIdentity"), TableFormat.Age(o, now)]);

    private static readonly ITablePrinter CertificateSigningRequest = Printer(
        [NameColumn, AgeColumn,
         Col("SignerName", "string", "signerName indicates the requested signer, and is a qualified name."),
         Col("Requestor", "string", "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block."),
         Col("RequestedDuration", "string", "expirationSeconds is the requested duration of validity of the issued certificate."),
         Col("Condition", "string", "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\".")],
        (o, now) =>
        {
            var signer = Json.Str(o, "spec", "signerName");
            var requested = Json.IntOrNull(o, "spec", "expirationSeconds") is { } seconds
                ? TableFormat.HumanDuration(TimeSpan.FromSeconds(seconds))
                : "<none>";
            return [Name(o), TableFormat.Age(o, now), signer.Length == 0 ? "<none>" : signer, Json.Str(o, "spec", "username"), requested, CsrCondition(o)];
        });

    // extractCSRStatus: Denied beats Approved beats Pending, then ",Failed" and ",Issued".
    private static string CsrCondition(JsonObject o)
    {
        var types = Json.Objects(o, "status", "conditions").Select(c => Json.Str(c, "type")).ToHashSet();
        var status = types.Contains("Denied") ? "Denied" : types.Contains("Approved") ? "Approved" : "Pending";
        if (types.Contains("Failed")) status += ",Failed";
        if (Json.Str(o, "status", "certificate").Length > 0) status += ",Issued";
        return status;
    }
}
