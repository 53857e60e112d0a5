using System.Text;

namespace Maas.Tokenization;

/// <summary>
/// A UTF-16 string re-written with one char per code point, so .NET's Regex (which sees UTF-16 code
/// units) gets the code-point semantics of the Rust/Oniguruma patterns in tokenizer.json: every
/// supplementary-plane character becomes one BMP stand-in that the patterns cannot tell from it
/// (<see cref="CodePointStandIns"/>), so \p{L}, \p{N}, \p{S}, quantifiers like {1,3} and optional
/// single-character classes treat it as one character of the right class. Offsets are mapped back.
/// </summary>
internal sealed class CodePointText
{
    private readonly int[]? _utf16Start;

    private CodePointText(string compact, int[]? utf16Start)
    {
        Compact = compact;
        _utf16Start = utf16Start;
    }

    /// <summary>The text with one char per code point.</summary>
    public string Compact { get; }

    public static CodePointText Create(string text, CodePointStandIns standIns)
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
                compact.Append(standIns.For(codePoint));
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
}
