using Maas.Engine.Tokenization;
using Xunit;

namespace Maas.Engine.Tests.Tokenization;

/// <summary>The Split sequence read from the real tokenizer.json, with code-point semantics.</summary>
public sealed class SplitSequencePreTokenizerTests
{
    private static readonly SplitSequencePreTokenizer PreTokenizer = new(
        TokenizerJson.Read(File.ReadAllBytes(Path.Combine(TokenizerAssets.DeepSeekV3Folder, "tokenizer.json"))).SplitPatterns);

    private static string[] Pieces(string text) =>
        PreTokenizer.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

    [Fact]
    public void Reads_three_split_patterns_from_tokenizer_json()
    {
        Assert.Equal(3, TokenizerJson.Read(File.ReadAllBytes(Path.Combine(TokenizerAssets.DeepSeekV3Folder, "tokenizer.json"))).SplitPatterns.Count);
    }

    [Fact]
    public void Supplementary_plane_digits_count_as_one_code_point_each()
    {
        // U+1D7CF.. are Nd: \p{N}{1,3} must take three code points (six UTF-16 units) per piece.
        Assert.Equal(["𝟏𝟐𝟑", "𝟒𝟓"], Pieces("𝟏𝟐𝟑𝟒𝟓"));
    }

    [Fact]
    public void Supplementary_plane_letters_join_the_word_they_belong_to()
    {
        // Fraktur letters are \p{L}; " 𝔘𝔫𝔦" is one word piece with its leading space.
        Assert.Equal(["a", " 𝔘𝔫𝔦"], Pieces("a 𝔘𝔫𝔦"));
    }

    [Fact]
    public void Supplementary_plane_symbols_group_like_bmp_symbols()
    {
        // 🦀 is \p{S}: " ?[\p{P}\p{S}]+" takes the space and both crabs as one piece.
        Assert.Equal(["x", " 🦀🦀"], Pieces("x 🦀🦀"));
    }

    [Fact]
    public void Cjk_runs_and_digit_runs_are_isolated_in_order()
    {
        Assert.Equal(["请将", "3", "号线"], Pieces("请将3号线"));
        Assert.Equal(["123", "456", "7"], Pieces("1234567"));
    }

    [Fact]
    public void Pattern_naming_supplementary_plane_characters_is_rejected_rather_than_mistranslated()
    {
        // Deseret capital letters U+10400..U+1044F written literally in a class.
        Assert.Throws<NotSupportedException>(() => SplitSequencePreTokenizer.TranslatePattern("[a-z\U00010400-\U0001044F]+"));
    }

    [Fact]
    public void Possessive_quantifier_is_rejected_but_plus_inside_a_class_is_not()
    {
        Assert.Throws<NotSupportedException>(() => SplitSequencePreTokenizer.TranslatePattern(@"\p{L}++"));
        Assert.Equal("*+", SplitSequencePreTokenizer.TranslatePattern(@"[*+]+").Match("a*+b").Value);
    }
}
