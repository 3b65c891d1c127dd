using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Admission;

/// <summary>Errors of admission plugins in k8s.io/apiserver's admission form.</summary>
public static class AdmissionErrors
{
    /// <summary>
    /// admission.NewForbidden: <c>pods "x" is forbidden: &lt;message&gt;</c>, the name from the request, else the
    /// object's name or generateName.
    /// </summary>
    public static StatusError Forbidden(AdmissionAttributes a, string message)
    {
        var name = a.Name;
        if (name.Length == 0 && a.Object != null) name = ObjectMeta.Name(a.Object);
        if (name.Length == 0 && a.Object != null) name = ObjectMeta.GenerateName(a.Object);
        return StatusError.Forbidden(a.Resource.GroupResource, name, message);
    }

    /// <summary>utilerrors.Aggregate's text: one message alone, several flattened, deduplicated, in brackets.</summary>
    public static string Aggregate(IEnumerable<string> messages)
    {
        var distinct = messages.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}
