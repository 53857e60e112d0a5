using System.Globalization;
using System.Text;

namespace Maas.Tokenization;

/// <summary>
/// Chooses, for a set of regex patterns, the BMP character that stands in for each supplementary-plane
/// code point (see <see cref="CodePointText"/>), and rewrites the patterns to match. A stand-in keeps
/// everything the patterns can observe about its code point: the Unicode general category (for \p{..},
/// \w, \d) and membership in every supplementary-plane range or literal the patterns name. Stand-ins are
/// never characters the patterns name themselves (no literal, no range endpoint or interior), nor
/// whitespace, so BMP literals cannot capture them by accident.
/// </summary>
internal sealed class CodePointStandIns
{
    private readonly List<(int First, int Last)> _astralRanges;
    private readonly Dictionary<(int Category, ulong Ranges), char> _standIn = [];
    private readonly char[] _byCategory = new char[32];

    private CodePointStandIns(IReadOnlyList<string> patterns)
    {
        _astralRanges = [];
        var named = new List<(int First, int Last)>();
        foreach (string pattern in patterns)
        {
            CollectRanges(pattern, named, _astralRanges);
        }

        if (_astralRanges.Count > 64)
        {
            throw new NotSupportedException("Pre-tokenizer patterns name more than 64 supplementary-plane ranges.");
        }

        var pools = new Queue<char>[32];
        for (int i = 0; i < pools.Length; i++)
        {
            pools[i] = new Queue<char>();
        }

        for (int c = 0x100; c <= 0xFFFF; c++)
        {
            if (char.IsSurrogate((char)c) || char.IsWhiteSpace((char)c) || IsNamed(c, named))
            {
                continue;
            }

            pools[(int)CharUnicodeInfo.GetUnicodeCategory((char)c)].Enqueue((char)c);
        }

        for (int category = 0; category < _byCategory.Length; category++)
        {
            _byCategory[category] = pools[category].Count > 0 ? pools[category].Dequeue() : '\0';
        }

        if (_astralRanges.Count > 0)
        {
            // Every (category, ranges) combination that occurs among supplementary code points gets its own stand-in.
            for (int codePoint = 0x10000; codePoint <= 0x10FFFF; codePoint++)
            {
                ulong ranges = RangesOf(codePoint);
                if (ranges == 0)
                {
                    continue;
                }

                int category = (int)CharUnicodeInfo.GetUnicodeCategory(codePoint);
                if (!_standIn.ContainsKey((category, ranges)))
                {
                    _standIn[(category, ranges)] = pools[category].Count > 0
                        ? pools[category].Dequeue()
                        : throw new NotSupportedException($"No free BMP stand-in of category {(UnicodeCategory)category} for U+{codePoint:X}.");
                }
            }
        }

        Patterns = [.. patterns.Select(Rewrite)];
    }

    /// <summary>The patterns with supplementary-plane literals replaced by their stand-ins.</summary>
    public IReadOnlyList<string> Patterns { get; }

    public static CodePointStandIns For(IReadOnlyList<string> patterns) => new(patterns);

    /// <summary>The stand-in for a supplementary-plane code point.</summary>
    public char For(int codePoint)
    {
        int category = (int)CharUnicodeInfo.GetUnicodeCategory(codePoint);
        ulong ranges = _astralRanges.Count == 0 ? 0 : RangesOf(codePoint);
        if (ranges != 0)
        {
            return _standIn[(category, ranges)];
        }

        char standIn = _byCategory[category];
        return standIn != '\0'
            ? standIn
            : throw new NotSupportedException($"No free BMP stand-in of category {(UnicodeCategory)category} for U+{codePoint:X}.");
    }

    private ulong RangesOf(int codePoint)
    {
        ulong mask = 0;
        for (int i = 0; i < _astralRanges.Count; i++)
        {
            if (codePoint >= _astralRanges[i].First && codePoint <= _astralRanges[i].Last)
            {
                mask |= 1UL << i;
            }
        }

        return mask;
    }

    private static bool IsNamed(int c, List<(int First, int Last)> named)
    {
        foreach ((int first, int last) in named)
        {
            if (c >= first && c <= last)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Over-approximates the characters a pattern names: every char in it, and inside classes every
    /// a-b range. Supplementary-plane literals and ranges go to <paramref name="astral"/>.
    /// </summary>
    private static void CollectRanges(string pattern, List<(int First, int Last)> named, List<(int First, int Last)> astral)
    {
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            int c = ReadCodePoint(pattern, i, out int width);
            if (c == '\\' && i + 1 < pattern.Length)
            {
                named.Add((pattern[i + 1], pattern[i + 1]));
                i++;
                continue;
            }

            if (!inClass && c == '[')
            {
                inClass = true;
                continue;
            }

            if (inClass && c == ']')
            {
                inClass = false;
                continue;
            }

            int next = i + width;
            if (inClass && next + 1 < pattern.Length && pattern[next] == '-' && pattern[next + 1] != ']' && pattern[next + 1] != '\\')
            {
                int last = ReadCodePoint(pattern, next + 1, out int lastWidth);
                AddRange(c, last, named, astral);
                i = next + lastWidth;
                continue;
            }

            AddRange(c, c, named, astral);
            i += width - 1;
        }
    }

    private static void AddRange(int first, int last, List<(int First, int Last)> named, List<(int First, int Last)> astral)
    {
        if (first > 0xFFFF || last > 0xFFFF)
        {
            if (first <= 0xFFFF)
            {
                throw new NotSupportedException("Pre-tokenizer pattern has a range from the BMP into the supplementary planes.");
            }

            astral.Add((first, last));
        }
        else
        {
            named.Add((first, last));
        }
    }

    private string Rewrite(string pattern)
    {
        if (_astralRanges.Count == 0)
        {
            return pattern;
        }

        var result = new StringBuilder(pattern.Length);
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                result.Append(c).Append(pattern[i + 1]);
                i++;
                continue;
            }

            if (!char.IsHighSurrogate(c))
            {
                inClass = (inClass || c == '[') && !(inClass && c == ']');
                result.Append(c);
                continue;
            }

            int first = ReadCodePoint(pattern, i, out int width);
            int last = first;
            int next = i + width;
            if (inClass && next + 1 < pattern.Length && pattern[next] == '-' && char.IsHighSurrogate(pattern[next + 1]))
            {
                last = ReadCodePoint(pattern, next + 1, out int lastWidth);
                next = next + 1 + lastWidth;
            }

            int index = _astralRanges.IndexOf((first, last));
            var standIns = new StringBuilder();
            foreach (((int _, ulong ranges), char standIn) in _standIn)
            {
                if ((ranges & (1UL << index)) != 0)
                {
                    standIns.Append(standIn);
                }
            }

            // A range nothing falls into (all unassigned) must still be a valid, never-matching class.
            string members = standIns.Length > 0 ? standIns.ToString() : "\\uFFFF";
            result.Append(inClass ? members : "[" + members + "]");
            i = next - 1;
        }

        return result.ToString();
    }

    private static int ReadCodePoint(string s, int index, out int width)
    {
        if (char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(s[index], s[index + 1]);
        }

        width = 1;
        return s[index];
    }
}
