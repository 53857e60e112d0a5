using System.Globalization;
using System.Text;

namespace Maas.Engine.Tokenization;

/// <summary>
/// A UTF-16 string re-written with one char per code point, so .NET's Regex (which sees UTF-16 code
/// units) gets the code-point semantics of the Rust/Oniguruma patterns in tokenizer.json: every
/// supplementary-plane character becomes one BMP stand-in of the same Unicode general category, so
/// \p{L}, \p{N}, \p{S}, \p{P}, \p{M}, quantifiers like {1,3} and optional single-character
/// classes treat it as one character of the right class. Offsets are mapped back afterwards.
/// </summary>
internal sealed class CodePointText
{
    /// <summary>Per general category, a BMP character of that category that no DeepSeek pattern names literally.</summary>
    private static readonly char[] StandIns = BuildStandIns();

    private readonly int[]? _utf16Start;

    private CodePointText(string compact, int[]? utf16Start)
    {
        Compact = compact;
        _utf16Start = utf16Start;
    }

    /// <summary>The text with one char per code point.</summary>
    public string Compact { get; }

    public static CodePointText Create(string text)
    {
        int surrogatePairs = 0;
        for (int i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                surrogatePairs++;
                i++;
            }
        }

        if (surrogatePairs == 0)
        {
            return new CodePointText(text, null);
        }

        var compact = new StringBuilder(text.Length - surrogatePairs);
        var starts = new int[text.Length - surrogatePairs + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            starts[n++] = i;
            if (i + 1 < text.Length && char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(text[i], text[i + 1]);
                compact.Append(StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(codePoint)]);
                i++;
            }
            else
            {
                compact.Append(text[i]);
            }
        }

        starts[n] = text.Length;
        return new CodePointText(compact.ToString(), starts);
    }

    /// <summary>UTF-16 offset in the original text of a compact index (0..Compact.Length).</summary>
    public int OriginalOffset(int compactIndex) => _utf16Start is null ? compactIndex : _utf16Start[compactIndex];

    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        for (int c = 0x100; c <= 0xFFFF; c++)
        {
            // Stay clear of ASCII/Latin-1 (named in the patterns as A-Za-z, punctuation, \r\n),
            // the CJK and kana ranges, whitespace, and surrogates.
            if ((c >= 0x3000 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xD800 && c <= 0xDFFF)
                || char.IsWhiteSpace((char)c))
            {
                continue;
            }

            int category = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (standIns[category] == '\0')
            {
                standIns[category] = (char)c;
            }
        }

        // Categories with no usable BMP member (none today) fall back to an unassigned code point.
        for (int i = 0; i < standIns.Length; i++)
        {
            if (standIns[i] == '\0')
            {
                standIns[i] = '\u0378';
            }
        }

        return standIns;
    }
}
