using System.Text.RegularExpressions;

namespace Anvil.Machinery.Validation;

/// <summary>
/// String format checks of k8s.io/apimachinery/pkg/util/validation with Kubernetes' exact messages.
/// Each returns the list of problems (empty when valid), as the Go functions do.
/// </summary>
public static partial class NameValidation
{
    public const int Dns1123LabelMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;
    public const int Dns1035LabelMaxLength = 63;
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;

    public const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    public const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    public const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    public const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    public const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    public const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";
    public const string CIdentifierFmt = "[A-Za-z_][A-Za-z0-9_]*";

    const string Dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    const string Dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    const string Dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
    const string QualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    const string ConfigMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
    const string CIdentifierErrMsg = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'";

    [GeneratedRegex("^" + Dns1123LabelFmt + "$")] private static partial Regex Dns1123LabelRegex();
    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")] private static partial Regex Dns1123SubdomainRegex();
    [GeneratedRegex("^" + Dns1035LabelFmt + "$")] private static partial Regex Dns1035LabelRegex();
    [GeneratedRegex("^" + QualifiedNameFmt + "$")] private static partial Regex QualifiedNameRegex();
    [GeneratedRegex("^" + LabelValueFmt + "$")] private static partial Regex LabelValueRegex();
    [GeneratedRegex("^" + ConfigMapKeyFmt + "$")] private static partial Regex ConfigMapKeyRegex();
    [GeneratedRegex("^" + CIdentifierFmt + "$")] private static partial Regex CIdentifierRegex();
    [GeneratedRegex("^[-a-z0-9]+$")] private static partial Regex PortNameCharsetRegex();
    [GeneratedRegex("[a-z]")] private static partial Regex PortNameOneLetterRegex();

    public static string MaxLenError(int length) => $"must be no more than {length} characters";

    public const string EmptyError = "must be non-empty";

    /// <summary>Go's RegexError: the message, the examples (each followed by ", " and joined with " or "), the regex.</summary>
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

    public static string InclusiveRangeError(long lo, long hi) => $"must be between {lo} and {hi}, inclusive";

    public static IReadOnlyList<string> IsDns1123Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > Dns1123LabelMaxLength) errs.Add(MaxLenError(Dns1123LabelMaxLength));
        if (!Dns1123LabelRegex().IsMatch(value))
        {
            // A valid subdomain that is not a valid label (length already checked) must contain dots.
            if (Dns1123SubdomainRegex().IsMatch(value)) errs.Add("must not contain dots");
            else errs.Add(RegexError(Dns1123LabelErrMsg, Dns1123LabelFmt, "my-name", "123-abc"));
        }
        return errs;
    }

    public static IReadOnlyList<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > Dns1123SubdomainMaxLength) errs.Add(MaxLenError(Dns1123SubdomainMaxLength));
        if (!Dns1123SubdomainRegex().IsMatch(value)) errs.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        return errs;
    }

    public static IReadOnlyList<string> IsDns1035Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > Dns1035LabelMaxLength) errs.Add(MaxLenError(Dns1035LabelMaxLength));
        if (!Dns1035LabelRegex().IsMatch(value)) errs.Add(RegexError(Dns1035LabelErrMsg, Dns1035LabelFmt, "my-name", "abc-123"));
        return errs;
    }

    /// <summary>A qualified name (label and annotation keys): optional DNS subdomain prefix and "/", then a name of at most 63 characters.</summary>
    public static IReadOnlyList<string> IsQualifiedName(string value)
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
                if (prefix.Length == 0) errs.Add("prefix part " + EmptyError);
                else errs.AddRange(IsDns1123Subdomain(prefix).Select(m => "prefix part " + m));
                break;
            default:
                errs.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc") +
                         " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0) errs.Add("name part " + EmptyError);
        else if (name.Length > QualifiedNameMaxLength) errs.Add("name part " + MaxLenError(QualifiedNameMaxLength));
        if (!QualifiedNameRegex().IsMatch(name))
            errs.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        return errs;
    }

    public static IReadOnlyList<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (value.Length > LabelValueMaxLength) errs.Add(MaxLenError(LabelValueMaxLength));
        if (!LabelValueRegex().IsMatch(value)) errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        return errs;
    }

    /// <summary>ConfigMap and Secret data keys.</summary>
    public static IReadOnlyList<string> IsConfigMapKey(string value)
    {
        List<string>? errs = null; // made only for an invalid key: every data key of every write comes here
        if (value.Length > Dns1123SubdomainMaxLength) (errs ??= []).Add(MaxLenError(Dns1123SubdomainMaxLength));
        if (!ConfigMapKeyRegex().IsMatch(value)) (errs ??= []).Add(RegexError(ConfigMapKeyErrMsg, ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        if (value == ".") (errs ??= []).Add("must not be '.'");
        else if (value == "..") (errs ??= []).Add("must not be '..'");
        else if (value.StartsWith("..", StringComparison.Ordinal)) (errs ??= []).Add("must not start with '..'");
        return errs ?? [];
    }

    public static IReadOnlyList<string> IsCIdentifier(string value) =>
        CIdentifierRegex().IsMatch(value) ? [] : [RegexError(CIdentifierErrMsg, CIdentifierFmt, "my_name", "MY_NAME", "MyName")];

    /// <summary>Environment variable names under RelaxedEnvironmentVariableValidation (beta, on in 1.32): printable ASCII except '='.</summary>
    public static IReadOnlyList<string> IsRelaxedEnvVarName(string value)
    {
        var errs = new List<string>();
        if (value.Length == 0) errs.Add("environment variable name " + EmptyError);
        if (value.Any(c => c < 32 || c > 126 || c == '='))
            errs.Add("a valid environment variable name must consist only of printable ASCII characters other than '='");
        return errs;
    }

    /// <summary>An IANA_SVC_NAME (container and service port names).</summary>
    public static IReadOnlyList<string> IsValidPortName(string port)
    {
        var errs = new List<string>();
        if (port.Length > 15) errs.Add(MaxLenError(15));
        if (!PortNameCharsetRegex().IsMatch(port)) errs.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!PortNameOneLetterRegex().IsMatch(port)) errs.Add("must contain at least one letter (a-z)");
        if (port.Contains("--", StringComparison.Ordinal)) errs.Add("must not contain consecutive hyphens");
        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-')) errs.Add("must not begin or end with a hyphen");
        return errs;
    }

    public static IReadOnlyList<string> IsValidPortNum(long port) => port is >= 1 and <= 65535 ? [] : [InclusiveRangeError(1, 65535)];

    /// <summary>A path segment name (RBAC objects and the generic fallback): not "." or "..", no "/" or "%".</summary>
    public static IReadOnlyList<string> IsValidPathSegmentName(string name, bool prefix = false)
    {
        var errs = new List<string>();
        if (!prefix)
        {
            if (name == ".") errs.Add("may not be '.'");
            if (name == "..") errs.Add("may not be '..'");
        }
        if (name.Contains('/')) errs.Add("may not contain '/'");
        if (name.Contains('%')) errs.Add("may not contain '%'");
        return errs;
    }

    /// <summary>
    /// Checks a name under a <see cref="NameRule"/>. With <paramref name="prefix"/> (generateName) a trailing dash
    /// is allowed, as the generated suffix follows it.
    /// </summary>
    public static IReadOnlyList<string> ValidateName(NameRule rule, string name, bool prefix = false)
    {
        if (prefix && rule != NameRule.PathSegment && name.EndsWith('-')) name = name[..^1] + "a";
        return rule switch
        {
            NameRule.Dns1123Label => IsDns1123Label(name),
            NameRule.Dns1035Label => IsDns1035Label(name),
            NameRule.PathSegment => IsValidPathSegmentName(name, prefix),
            _ => IsDns1123Subdomain(name),
        };
    }
}
