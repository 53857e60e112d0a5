using System.Text;

namespace Maas.Grammar;

/// <summary>
/// Compiles a JSON Schema <c>pattern</c> (ECMA-262 syntax; the subset: literals, <c>.</c>, classes with ranges and
/// negation, <c>\d \w \s</c> and their negations, groups <c>( )</c> and <c>(?: )</c>, alternation, <c>* + ?</c> and
/// <c>{n} {n,} {n,m}</c>, anchors at the ends) into a fragment matching the string's <b>JSON-encoded</b> content: a
/// quote, backslash or control character the pattern allows is written as its escape. Unanchored ends match anything,
/// as JSON Schema's patterns search. Anything else (backreferences, lookaround, named classes, \b) is refused with the
/// construct named.
/// </summary>
internal sealed class PatternCompiler
{
    private readonly JsonText _json;
    private readonly GrammarBuilder _builder;
    private readonly string _pattern;
    private readonly string _param;
    private int _position;

    private PatternCompiler(JsonText json, string pattern, string param)
    {
        _json = json;
        _builder = json.Builder;
        _pattern = pattern;
        _param = param;
    }

    /// <summary>The fragment of a string's content (between the quotes) that matches <paramref name="pattern"/>.</summary>
    public static GrammarFragment Compile(JsonText json, string pattern, string param)
    {
        var compiler = new PatternCompiler(json, pattern, param);
        var anchoredStart = pattern.StartsWith('^');
        var anchoredEnd = pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal);
        compiler._position = anchoredStart ? 1 : 0;
        var end = anchoredEnd ? pattern.Length - 1 : pattern.Length;
        var body = compiler.Alternation(end);
        if (compiler._position != end)
        {
            throw compiler.Unsupported($"unexpected '{pattern[compiler._position]}' at position {compiler._position}");
        }

        var parts = new List<GrammarFragment>();
        if (!anchoredStart)
        {
            parts.Add(json.Builder.Star(compiler.AnyCharacter()));
        }

        parts.Add(body);
        if (!anchoredEnd)
        {
            parts.Add(json.Builder.Star(compiler.AnyCharacter()));
        }

        return json.Builder.Sequence([.. parts]);
    }

    private GrammarFragment Alternation(int end)
    {
        var alternatives = new List<GrammarFragment> { Concatenation(end) };
        while (_position < end && _pattern[_position] == '|')
        {
            _position++;
            alternatives.Add(Concatenation(end));
        }

        return alternatives.Count == 1 ? alternatives[0] : _builder.Choice([.. alternatives]);
    }

    private GrammarFragment Concatenation(int end)
    {
        var parts = new List<GrammarFragment>();
        while (_position < end && _pattern[_position] is not ('|' or ')'))
        {
            parts.Add(Quantified(end));
        }

        return _builder.Sequence([.. parts]);
    }

    private GrammarFragment Quantified(int end)
    {
        var atomStart = _position;
        var atom = Atom(end);
        if (_position >= end)
        {
            return atom;
        }

        int min, max;
        switch (_pattern[_position])
        {
            case '*':
                (min, max) = (0, -1);
                _position++;
                break;
            case '+':
                (min, max) = (1, -1);
                _position++;
                break;
            case '?':
                (min, max) = (0, 1);
                _position++;
                break;
            case '{' when TryBraces(out min, out max):
                break;
            default:
                return atom;
        }

        if (_position < end && _pattern[_position] == '?')
        {
            // A lazy quantifier matches the same strings.
            _position++;
        }

        // The atom is rebuilt per repetition: fragments are single-use.
        var afterQuantifier = _position;
        var first = true;
        GrammarFragment Item()
        {
            if (first)
            {
                first = false;
                return atom;
            }

            var saved = _position;
            _position = atomStart;
            var copy = Atom(end);
            _position = saved;
            return copy;
        }

        var result = _builder.Repeat(Item, min, max < 0 ? null : max);
        _position = afterQuantifier;
        return result;
    }

    private bool TryBraces(out int min, out int max)
    {
        min = max = 0;
        var close = _pattern.IndexOf('}', _position);
        if (close < 0)
        {
            return false;
        }

        var inside = _pattern[(_position + 1)..close];
        var comma = inside.IndexOf(',');
        if (comma < 0 ? !int.TryParse(inside, out min) : !int.TryParse(inside[..comma], out min))
        {
            return false;
        }

        if (comma < 0)
        {
            max = min;
        }
        else if (comma == inside.Length - 1)
        {
            max = -1;
        }
        else if (!int.TryParse(inside[(comma + 1)..], out max))
        {
            return false;
        }

        if (min < 0 || (max >= 0 && max < min) || Math.Max(min, max) > 256)
        {
            throw Unsupported($"repetition {{{inside}}} (at most 256)");
        }

        _position = close + 1;
        return true;
    }

    private GrammarFragment Atom(int end)
    {
        var c = _pattern[_position];
        switch (c)
        {
            case '(':
                _position++;
                if (_position < end && _pattern[_position] == '?')
                {
                    if (_position + 1 < end && _pattern[_position + 1] == ':')
                    {
                        _position += 2;
                    }
                    else
                    {
                        throw Unsupported("lookaround or named groups");
                    }
                }

                var inner = Alternation(end);
                if (_position >= end || _pattern[_position] != ')')
                {
                    throw Unsupported("an unclosed group");
                }

                _position++;
                return inner;
            case '[':
                return Class(end);
            case '.':
                _position++;
                return AnyCharacter();
            case '\\':
                return Escaped(end, inClass: false, out _) is { } set ? Characters(set) : throw Unsupported("an escape");
            case '^' or '$':
                throw Unsupported($"the anchor '{c}' inside the pattern");
            case '*' or '+' or '?' or '{' or ')':
                throw Unsupported($"'{c}' with nothing to repeat or close");
            default:
                var rune = Rune.GetRuneAt(_pattern, _position);
                _position += rune.Utf16SequenceLength;
                return Characters(CharacterSet.Of(rune.Value));
        }
    }

    private GrammarFragment Class(int end)
    {
        _position++;
        var negated = _position < end && _pattern[_position] == '^';
        if (negated)
        {
            _position++;
        }

        var set = new CharacterSet();
        while (_position < end && _pattern[_position] != ']')
        {
            int low;
            if (_pattern[_position] == '\\')
            {
                var escaped = Escaped(end, inClass: true, out var single);
                if (single is null)
                {
                    set.Add(escaped!);
                    continue;
                }

                low = single.Value;
            }
            else
            {
                var rune = Rune.GetRuneAt(_pattern, _position);
                _position += rune.Utf16SequenceLength;
                low = rune.Value;
            }

            if (_position + 1 < end && _pattern[_position] == '-' && _pattern[_position + 1] != ']')
            {
                _position++;
                int high;
                if (_pattern[_position] == '\\')
                {
                    _ = Escaped(end, inClass: true, out var single);
                    high = single ?? throw Unsupported("a class escape as a range end");
                }
                else
                {
                    var rune = Rune.GetRuneAt(_pattern, _position);
                    _position += rune.Utf16SequenceLength;
                    high = rune.Value;
                }

                if (high < low)
                {
                    throw Unsupported("a reversed range in a class");
                }

                set.AddRange(low, high);
            }
            else
            {
                set.AddRange(low, low);
            }
        }

        if (_position >= end)
        {
            throw Unsupported("an unclosed class");
        }

        _position++;
        return Characters(negated ? set.Negate() : set);
    }

    /// <summary>After a backslash: a class escape (returned) or one character (<paramref name="single"/>).</summary>
    private CharacterSet? Escaped(int end, bool inClass, out int? single)
    {
        single = null;
        if (_position + 1 >= end)
        {
            throw Unsupported("a trailing backslash");
        }

        var c = _pattern[_position + 1];
        _position += 2;
        switch (c)
        {
            case 'd':
                return CharacterSet.Digits();
            case 'D':
                return CharacterSet.Digits().Negate();
            case 'w':
                return CharacterSet.Word();
            case 'W':
                return CharacterSet.Word().Negate();
            case 's':
                return CharacterSet.Space();
            case 'S':
                return CharacterSet.Space().Negate();
            case 'n':
                single = '\n';
                break;
            case 't':
                single = '\t';
                break;
            case 'r':
                single = '\r';
                break;
            case 'f':
                single = '\f';
                break;
            case 'v':
                single = '\v';
                break;
            case 'u' when _position + 4 <= _pattern.Length && int.TryParse(_pattern.AsSpan(_position, 4), System.Globalization.NumberStyles.HexNumber, null, out var code):
                _position += 4;
                single = code;
                break;
            case 'b' or 'B' or 'p' or 'P' or 'k' or 'c' or 'x' or 'u' or (>= '0' and <= '9'):
                throw Unsupported($"the escape \\{c}");
            default:
                single = c;
                break;
        }

        return inClass ? null : CharacterSet.Of(single!.Value);
    }

    private GrammarFragment AnyCharacter() => Characters(CharacterSet.Of('\n').Add(CharacterSet.Of('\r')).Negate());

    /// <summary>One character of the set, JSON-encoded.</summary>
    private GrammarFragment Characters(CharacterSet set)
    {
        var alternatives = new List<GrammarFragment>();
        var plain = new List<(int, int)>();
        for (var c = 0; c < 128; c++)
        {
            if (!set.Contains(c))
            {
                continue;
            }

            if (c < 0x20 || c == '"' || c == '\\')
            {
                alternatives.Add(_builder.Literal(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    _ => $"\\u{c:x4}",
                }));
            }
            else if (plain.Count > 0 && plain[^1].Item2 == c - 1)
            {
                plain[^1] = (plain[^1].Item1, c);
            }
            else
            {
                plain.Add((c, c));
            }
        }

        if (plain.Count > 0)
        {
            alternatives.Add(_builder.Ranges(plain));
        }

        if (set.AllNonAscii)
        {
            alternatives.Add(_json.MultiByteCharacter());
        }
        else
        {
            var utf8 = new byte[4];
            foreach (var (low, high) in set.NonAsciiRanges)
            {
                if (high - low > 64)
                {
                    throw Unsupported("a class with a wide range beyond ASCII");
                }

                for (var code = low; code <= high; code++)
                {
                    if (!Rune.IsValid(code))
                    {
                        continue;
                    }

                    var length = new Rune(code).EncodeToUtf8(utf8);
                    alternatives.Add(_builder.Bytes(utf8.AsSpan(0, length)));
                }
            }
        }

        if (alternatives.Count == 0)
        {
            throw Unsupported("a class that matches no character");
        }

        return alternatives.Count == 1 ? alternatives[0] : _builder.Choice([.. alternatives]);
    }

    private GrammarException Unsupported(string what) =>
        new($"The pattern '{_pattern}' uses {what}, which structured outputs do not support.", _param);
}
