using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Selectors;

/// <summary>
/// The lexer and recursive-descent parser of labels.Parse, kept token for token so error messages match:
/// <c>unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt</c>.
/// </summary>
internal sealed class LabelSelectorParser
{
    private enum Token { EndOfString, ClosedPar, Comma, DoesNotExist, DoubleEquals, EqualsSign, GreaterThan, Identifier, In, LessThan, NotEquals, NotIn, OpenPar }

    private static readonly Dictionary<string, Token> Literals = new()
    {
        [")"] = Token.ClosedPar, [","] = Token.Comma, ["!"] = Token.DoesNotExist, ["=="] = Token.DoubleEquals,
        ["="] = Token.EqualsSign, [">"] = Token.GreaterThan, ["in"] = Token.In, ["<"] = Token.LessThan,
        ["!="] = Token.NotEquals, ["notin"] = Token.NotIn, ["("] = Token.OpenPar,
    };

    private readonly List<(Token Tok, string Lit)> _items = new();
    private int _position;

    public LabelSelectorParser(string selector) => Scan(selector);

    public List<LabelRequirement> Parse()
    {
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var (tok, lit) = Lookahead(values: true);
            switch (tok)
            {
                case Token.Identifier or Token.DoesNotExist:
                    requirements.Add(ParseRequirement());
                    var (t, l) = Consume(values: true);
                    switch (t)
                    {
                        case Token.EndOfString:
                            return requirements;
                        case Token.Comma:
                            var (t2, l2) = Lookahead(values: true);
                            if (t2 is not (Token.Identifier or Token.DoesNotExist))
                                throw Fail($"found '{l2}', expected: identifier after ','");
                            break;
                        default:
                            throw Fail($"found '{l}', expected: ',' or 'end of string'");
                    }
                    break;
                case Token.EndOfString:
                    return requirements;
                default:
                    throw Fail($"found '{lit}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private static StatusError Fail(string message) => StatusError.BadRequest(message);

    private static StatusError RequirementFail(string message) => StatusError.BadRequest("unable to parse requirement: " + message);

    private LabelRequirement ParseRequirement()
    {
        var (key, op) = ParseKeyAndInferOperator();
        if (op is SelectorOperator.Exists or SelectorOperator.DoesNotExist)
            return Checked(key, op.Value, []);
        var binary = ParseOperator();
        var values = binary is SelectorOperator.In or SelectorOperator.NotIn ? ParseValues() : ParseExactValue();
        return Checked(key, binary, values.Order(StringComparer.Ordinal).ToList());
    }

    private static LabelRequirement Checked(string key, SelectorOperator op, List<string> values)
    {
        var r = LabelRequirement.Create(key, op, values, out var error);
        if (error != null) throw RequirementFail(error);
        return r;
    }

    private (string Key, SelectorOperator? Op) ParseKeyAndInferOperator()
    {
        SelectorOperator? op = null;
        var (tok, lit) = Consume(values: true);
        if (tok == Token.DoesNotExist)
        {
            op = SelectorOperator.DoesNotExist;
            (tok, lit) = Consume(values: true);
        }
        if (tok != Token.Identifier) throw RequirementFail($"found '{lit}', expected: identifier");
        var keyErrs = Validation.NameValidation.IsQualifiedName(lit);
        // The parser validates with a nil field path, which Kubernetes prints as "<nil>".
        if (keyErrs.Count > 0) throw RequirementFail("<nil>: Invalid value: " + GoFormat.Quote(lit) + ": " + string.Join("; ", keyErrs));
        var (next, _) = Lookahead(values: true);
        if (next is Token.EndOfString or Token.Comma && op != SelectorOperator.DoesNotExist) op = SelectorOperator.Exists;
        return (lit, op);
    }

    private SelectorOperator ParseOperator()
    {
        var (tok, lit) = Consume(values: false);
        return tok switch
        {
            Token.In => SelectorOperator.In,
            Token.EqualsSign => SelectorOperator.Equals,
            Token.DoubleEquals => SelectorOperator.DoubleEquals,
            Token.GreaterThan => SelectorOperator.GreaterThan,
            Token.LessThan => SelectorOperator.LessThan,
            Token.NotIn => SelectorOperator.NotIn,
            Token.NotEquals => SelectorOperator.NotEquals,
            _ => throw RequirementFail($"found '{lit}', expected: in, notin, =, ==, !=, gt, lt"),
        };
    }

    private HashSet<string> ParseValues()
    {
        var (tok, lit) = Consume(values: true);
        if (tok != Token.OpenPar) throw RequirementFail($"found '{lit}' expected: '('");
        (tok, lit) = Lookahead(values: true);
        switch (tok)
        {
            case Token.Identifier or Token.Comma:
                var set = ParseIdentifiersList();
                // Upstream reports the literal seen before the list here, not the offending one.
                if (Consume(values: true).Tok != Token.ClosedPar) throw RequirementFail($"found '{lit}', expected: ')'");
                return set;
            case Token.ClosedPar:
                Consume(values: true);
                return [""];
            default:
                throw RequirementFail($"found '{lit}', expected: ',', ')' or identifier");
        }
    }

    private HashSet<string> ParseIdentifiersList()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var (tok, lit) = Consume(values: true);
            switch (tok)
            {
                case Token.Identifier:
                    set.Add(lit);
                    var (tok2, lit2) = Lookahead(values: true);
                    switch (tok2)
                    {
                        case Token.Comma: continue;
                        case Token.ClosedPar: return set;
                        default: throw RequirementFail($"found '{lit2}', expected: ',' or ')'");
                    }
                case Token.Comma:
                    if (set.Count == 0) set.Add("");
                    var (next, _) = Lookahead(values: true);
                    if (next == Token.ClosedPar)
                    {
                        set.Add("");
                        return set;
                    }
                    if (next == Token.Comma)
                    {
                        Consume(values: true);
                        set.Add("");
                    }
                    break;
                default:
                    throw RequirementFail($"found '{lit}', expected: ',', or identifier");
            }
        }
    }

    private HashSet<string> ParseExactValue()
    {
        var (tok, _) = Lookahead(values: true);
        if (tok is Token.EndOfString or Token.Comma) return [""];
        var (t, lit) = Consume(values: true);
        if (t == Token.Identifier) return [lit];
        throw RequirementFail($"found '{lit}', expected: identifier");
    }

    // In a values context the keywords in/notin are plain identifiers.
    private (Token Tok, string Lit) Lookahead(bool values) => Contextual(_items[_position], values);

    private (Token Tok, string Lit) Consume(bool values) => Contextual(_items[_position++], values);

    private static (Token, string) Contextual((Token Tok, string Lit) item, bool values) =>
        values && item.Tok is Token.In or Token.NotIn ? (Token.Identifier, item.Lit) : item;

    private void Scan(string s)
    {
        var pos = 0;
        while (true)
        {
            while (pos < s.Length && IsWhitespace(s[pos])) pos++;
            if (pos >= s.Length || s[pos] == '\0')
            {
                _items.Add((Token.EndOfString, ""));
                return;
            }
            if (IsSpecial(s[pos]))
            {
                // Longest run of special characters that still forms a known operator.
                var start = pos;
                (Token Tok, string Lit)? last = null;
                while (pos < s.Length && IsSpecial(s[pos]))
                {
                    var candidate = s[start..(pos + 1)];
                    if (Literals.TryGetValue(candidate, out var t))
                        last = (t, candidate);
                    else if (last != null)
                        break;
                    pos++;
                }
                _items.Add(last!.Value);
                pos = start + last.Value.Lit.Length;
                continue;
            }
            var idStart = pos;
            while (pos < s.Length && s[pos] != '\0' && !IsSpecial(s[pos]) && !IsWhitespace(s[pos])) pos++;
            var word = s[idStart..pos];
            _items.Add(Literals.TryGetValue(word, out var kw) ? (kw, word) : (Token.Identifier, word));
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';
}
