using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Maas.Engine.Tokenization;

/// <summary>
/// Hugging Face's pre-tokenizer Sequence of <c>Split</c> steps with behavior <c>Isolated</c>: each
/// pattern is applied to every piece the previous step produced; matches and the unmatched gaps
/// between them both become pieces. The trailing <c>ByteLevel</c> step (use_regex false) does no
/// splitting; the byte mapping itself is done by <see cref="BpeTokenizer"/> with ByteLevel on.
/// </summary>
internal sealed class SplitSequencePreTokenizer : PreTokenizer
{
    private readonly Regex[] _patterns;

    public SplitSequencePreTokenizer(IReadOnlyList<Regex> patterns)
    {
        _patterns = [.. patterns];
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    /// <summary>The pieces as (offset, length) in UTF-16 units of <paramref name="text"/>.</summary>
    public List<(int Offset, int Length)> Split(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        CodePointText codePoints = CodePointText.Create(text);
        string compact = codePoints.Compact;
        var pieces = new List<(int Offset, int Length)> { (0, compact.Length) };
        var next = new List<(int Offset, int Length)>();
        foreach (Regex pattern in _patterns)
        {
            next.Clear();
            foreach ((int offset, int length) in pieces)
            {
                // Each piece is matched on its own, as in HF: lookarounds do not see neighbouring pieces.
                int cursor = 0;
                foreach (ValueMatch match in pattern.EnumerateMatches(compact.AsSpan(offset, length)))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }

                    if (match.Index > cursor)
                    {
                        next.Add((offset + cursor, match.Index - cursor));
                    }

                    next.Add((offset + match.Index, match.Length));
                    cursor = match.Index + match.Length;
                }

                if (cursor < length)
                {
                    next.Add((offset + cursor, length - cursor));
                }
            }

            (pieces, next) = (next, pieces);
        }

        for (int i = 0; i < pieces.Count; i++)
        {
            int start = codePoints.OriginalOffset(pieces[i].Offset);
            int end = codePoints.OriginalOffset(pieces[i].Offset + pieces[i].Length);
            pieces[i] = (start, end - start);
        }

        return pieces;
    }

    /// <summary>
    /// Turns a tokenizer.json (Rust regex / Oniguruma syntax) pattern into a .NET Regex. The DeepSeek
    /// patterns use only syntax both engines read alike (classes, \p{..} categories, \s, lookahead);
    /// the differences that matter are semantic and handled elsewhere: Rust matches code points while
    /// .NET matches UTF-16 units (see <see cref="CodePointText"/>), and Rust's \s is Unicode
    /// White_Space, which equals .NET's \s ([\f\n\r\t\v\x85\p{Z}]). Possessive quantifiers
    /// (Oniguruma's a*+, which .NET would read as "a* repeated") are rejected.
    /// </summary>
    public static Regex TranslatePattern(string rustPattern)
    {
        // Text is matched with supplementary-plane characters replaced by category stand-ins, so a pattern
        // naming such characters literally (e.g. a range 𐐀-𐑏) would silently never match them.
        foreach (char c in rustPattern)
        {
            if (char.IsSurrogate(c))
            {
                throw new NotSupportedException($"Pre-tokenizer pattern names supplementary-plane characters literally, which the code-point translation does not handle yet: {rustPattern}");
            }
        }

        if (HasPossessiveQuantifier(rustPattern))
        {
            throw new NotSupportedException($"Pre-tokenizer pattern uses a possessive quantifier, which this translation does not handle: {rustPattern}");
        }

        return new Regex(rustPattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    /// <summary>Whether a quantifier outside any character class is followed by '+'.</summary>
    private static bool HasPossessiveQuantifier(string pattern)
    {
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                i++;
            }
            else if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    i++;
                }
            }
            else if ((c is '*' or '+' or '?' or '}') && i + 1 < pattern.Length && pattern[i + 1] == '+')
            {
                return true;
            }
        }

        return false;
    }
}
