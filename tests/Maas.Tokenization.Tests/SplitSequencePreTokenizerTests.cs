using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

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
    public void Supplementary_plane_range_in_a_pattern_matches_exactly_those_code_points()
    {
        // [a-z𐐀-𐑏]+ (Deseret U+10400..U+1044F): Deseret letters join the run, other supplementary letters
        // (𝐀, 𐒰 Osage) do not, though all are \p{L}.
        var pre = new SplitSequencePreTokenizer(["[a-z\U00010400-\U0001044F]+"]);
        string text = "ab\U00010400\U0001044F𝐀c\U000104B0d";

        string[] pieces = pre.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

        Assert.Equal(["ab\U00010400\U0001044F", "𝐀", "c", "\U000104B0", "d"], pieces);
    }

    [Fact]
    public void Supplementary_plane_letters_are_not_captured_by_bmp_letter_ranges()
    {
        // [Ā-ſ]+ names Latin Extended-A only; 𝐀 is a letter (Lu) but not in that range.
        var pre = new SplitSequencePreTokenizer(["[Ā-ſ]+", "\\p{Lu}"]);
        string text = "Ā𝐀ā";

        string[] pieces = pre.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

        Assert.Equal(["Ā", "𝐀", "ā"], pieces);
    }

    [Fact]
    public void Supplementary_plane_literal_outside_a_class_matches_itself_only()
    {
        var pre = new SplitSequencePreTokenizer(["🦀+"]);
        string text = "a🦀🦀🔥";

        string[] pieces = pre.Split(text).Select(p => text.Substring(p.Offset, p.Length)).ToArray();

        Assert.Equal(["a", "🦀🦀", "🔥"], pieces);
    }

    [Fact]
    public void Possessive_quantifier_is_rejected_but_plus_inside_a_class_is_not()
    {
        Assert.Throws<NotSupportedException>(() => new SplitSequencePreTokenizer([@"\p{L}++"]));
        var pre = new SplitSequencePreTokenizer([@"[*+]+"]);
        Assert.Equal([(0, 1), (1, 2), (3, 1)], pre.Split("a*+b"));
    }

    [Fact]
    public void Dollar_anchors_only_at_the_very_end_as_in_rust()
    {
        // Rust: "a$" does not match "a\n" (no match → one gap piece); .NET's own $ would match before the final \n.
        Assert.Equal([(0, 2)], new SplitSequencePreTokenizer(["a$"]).Split("a\n"));
        Assert.Equal([(0, 1), (1, 2)], new SplitSequencePreTokenizer([@"\s+$"]).Split("b \n"));
        Assert.Equal([(0, 3)], new SplitSequencePreTokenizer([@"\s+$"]).Split("  b"));
        Assert.Equal(@"[$]\z", SplitSequencePreTokenizer.EndAnchorsToAbsolute(@"[$]$"));
    }
}
