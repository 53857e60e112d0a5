using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Maas.Tokenization;

/// <summary>
/// Hugging Face's pre-tokenizer Sequence of <c>Split</c> steps with behavior <c>Isolated</c>: each
/// pattern is applied to every piece the previous step produced; matches and the unmatched gaps
/// between them both become pieces. The trailing <c>ByteLevel</c> step (use_regex false) does no
/// splitting; the byte mapping itself is done by <see cref="BpeTokenizer"/> with ByteLevel on.
/// </summary>
/// <remarks>
/// Translating the Rust regex patterns to .NET: the syntax DeepSeek uses (classes, \p{..} categories,
/// \s, lookahead) reads the same in both engines, and Rust's \s (Unicode White_Space) equals .NET's
/// \s ([\f\n\r\t\v\x85\p{Z}]). The semantic difference is that Rust matches code points while
/// .NET matches UTF-16 units, so \p{L} would not match 𝔘 and {1,3} would count surrogate halves. The
/// text is therefore matched one char per code point, with supplementary-plane characters replaced by
/// stand-ins (<see cref="CodePointStandIns"/>, <see cref="CodePointText"/>), and offsets mapped back.
/// Possessive quantifiers (Oniguruma a*+, read by .NET as "a* repeated") are rejected.
/// </remarks>
internal sealed class SplitSequencePreTokenizer : PreTokenizer
{
    private readonly Regex[] _patterns;
    private readonly CodePointStandIns _standIns;

    /// <param name="rustPatterns">The Split steps' patterns as written in tokenizer.json (Rust regex syntax).</param>
    public SplitSequencePreTokenizer(IReadOnlyList<string> rustPatterns)
    {
        foreach (string pattern in rustPatterns)
        {
            if (HasPossessiveQuantifier(pattern))
            {
                throw new NotSupportedException($"Pre-tokenizer pattern uses a possessive quantifier, which this translation does not handle: {pattern}");
            }
        }

        _standIns = CodePointStandIns.For(rustPatterns);
        _patterns = [.. _standIns.Patterns.Select(p => new Regex(EndAnchorsToAbsolute(p), RegexOptions.Compiled | RegexOptions.CultureInvariant))];
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

        CodePointText codePoints = CodePointText.Create(text, _standIns);
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
    /// Rust's $ (without the m flag) matches only at the very end; .NET's $ also matches before a final
    /// newline, so it becomes \z. Only unescaped $ outside character classes is an anchor.
    /// </summary>
    internal static string EndAnchorsToAbsolute(string pattern)
    {
        if (!pattern.Contains('$', StringComparison.Ordinal))
        {
            return pattern;
        }

        var result = new System.Text.StringBuilder(pattern.Length + 4);
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                result.Append(c).Append(pattern[++i]);
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '$')
            {
                result.Append("\\z");
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
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
