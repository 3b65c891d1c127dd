using System.Text;

namespace Anvil.Node.Env;

/// <summary>
/// Kubernetes' <c>$(VAR)</c> expansion (third_party/forked/golang/expansion): <c>$(NAME)</c> becomes the variable's
/// value when it is defined and stays as written when not; <c>$$</c> is an escaped <c>$</c>; anything else is literal.
/// </summary>
public static class Expansion
{
    public static string Expand(string input, IReadOnlyDictionary<string, string> vars)
    {
        var sb = new StringBuilder();
        var checkpoint = 0;
        for (var cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length) continue;
            sb.Append(input, checkpoint, cursor - checkpoint);
            var (read, isVar, advance) = ReadVariable(input, cursor + 1);
            sb.Append(isVar ? vars.TryGetValue(read, out var v) ? v : "$(" + read + ")" : read);
            cursor += advance;
            checkpoint = cursor + 1;
        }
        return sb.Append(input, checkpoint, input.Length - checkpoint).ToString();
    }

    private static (string Read, bool IsVar, int Advance) ReadVariable(string s, int start)
    {
        switch (s[start])
        {
            case '$':
                return ("$", false, 1);
            case '(':
                for (var i = start + 1; i < s.Length; i++)
                    if (s[i] == ')') return (s[(start + 1)..i], true, i - start + 1);
                return ("$(", false, 1);
            default:
                return ("$" + s[start], false, 1);
        }
    }
}
