using System.Text.RegularExpressions;

namespace Anvil.Machinery.Selectors;

/// <summary>
/// The label key/value checks of k8s.io/apimachinery/pkg/util/validation (IsQualifiedName, IsValidLabelValue),
/// returning the same message fragments.
/// </summary>
internal static partial class LabelValidation
{
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameErrMsg =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string LabelValueErrMsg =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1123SubdomainErrMsg =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

    [GeneratedRegex("^" + QualifiedNameFmt + "\\z")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^" + LabelValueFmt + "\\z")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^" + Dns1123SubdomainFmt + "\\z")]
    private static partial Regex Dns1123Subdomain();

    public static string RegexError(string msg, string fmt, params string[] examples)
    {
        if (examples.Length == 0) return msg + " (regex used for validation is '" + fmt + "')";
        msg += " (e.g. ";
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0) msg += " or ";
            msg += "'" + examples[i] + "', ";
        }
        return msg + "regex used for validation is '" + fmt + "')";
    }

    private static string MaxLenError(int length) => $"must be no more than {length} characters";

    public static List<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                    errs.Add("prefix part must be non-empty");
                else
                    errs.AddRange(IsDns1123Subdomain(prefix).Select(m => "prefix part " + m));
                break;
            default:
                errs.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                         + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0)
            errs.Add("name part must be non-empty");
        else if (name.Length > 63)
            errs.Add("name part " + MaxLenError(63));
        if (!QualifiedName().IsMatch(name))
            errs.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        return errs;
    }

    public static List<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLenError(63));
        if (!LabelValue().IsMatch(value))
            errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > 253) errs.Add(MaxLenError(253));
        if (!Dns1123Subdomain().IsMatch(value))
            errs.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        return errs;
    }
}
