using System.Text;
using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

/// <summary>
/// Issue 16, item 2: tokenizing is linear (n log n) in the text. Pieces longer than
/// <see cref="TextTokenizer.LibraryPieceLength"/> go through <see cref="LongPieceBpe"/> instead of the library, whose
/// merge is quadratic in a piece's length; both must give the same ids. Speed figures are in TokenizerBenchmarks.
/// </summary>
public sealed class LinearEncodingTests
{
    private static TextTokenizer Tokenizer => TokenizerAssets.DeepSeekV3;

    public static TheoryData<string, string> LongPieces() => new()
    {
        { "letters", new string('a', 3000) },
        { "word", string.Concat(Enumerable.Repeat("Druckbehälterprüfung", 60)) },
        { "less-than", new string('<', 2500) },
        { "punctuation mix", string.Concat(Enumerable.Repeat("<｜=>!?", 400)) },
        { "spaces", new string(' ', 2000) },
        { "cjk", string.Concat(Enumerable.Repeat("设备温度压力", 300)) },
        { "emoji", string.Concat(Enumerable.Repeat("🦀✅", 300)) },
        { "just over the limit", new string('x', TextTokenizer.LibraryPieceLength + 1) },
    };

    [Theory]
    [MemberData(nameof(LongPieces))]
    public void Long_piece_merge_equals_the_librarys(string name, string piece)
    {
        Assert.True(Tokenizer.EncodeWithLongPieceBpe(piece).SequenceEqual(Tokenizer.EncodeWithLibraryOnly(piece)), name);
    }

    [Fact]
    public void Random_texts_encode_as_the_library_does()
    {
        var random = new Random(16);
        string[] alphabet = ["a", "b", "e", "n", "r", " ", "  ", "\n", "<", "｜", ">", "7", "12", "温", "度", "🦀", ".", ",", "ä", "'s", "-", "\t", "User", "▁"];
        for (int sample = 0; sample < 200; sample++)
        {
            var text = new StringBuilder();
            int parts = random.Next(1, sample < 150 ? 60 : 900);
            for (int i = 0; i < parts; i++)
            {
                // Runs of one part make long pieces; single parts make short ones.
                string part = alphabet[random.Next(alphabet.Length)];
                int repeat = random.Next(4) == 0 ? random.Next(1, 400) : 1;
                for (int r = 0; r < repeat; r++)
                {
                    text.Append(part);
                }
            }

            string s = text.ToString();
            Assert.True(Tokenizer.Encode(s, AddedTokenHandling.AsText).SequenceEqual(Tokenizer.EncodeWithLibraryOnly(s)), $"sample {sample}: {s}");
        }
    }

    [Theory]
    [InlineData('<')]
    [InlineData('a')]
    [InlineData(' ')]
    [InlineData('7')]
    public void A_megabyte_of_one_character_encodes_and_decodes_back(char c)
    {
        // Before: minutes for '<' or 'a' (a quadratic merge of one megabyte-long piece). Not timed here; `make bench` times it.
        string text = new(c, 1 << 20);

        int[] ids = Tokenizer.Encode(text, AddedTokenHandling.AsText);

        Assert.Equal(text, Tokenizer.Decode(ids));
        Assert.DoesNotContain(ids, Tokenizer.IsAddedToken);
    }

    [Fact]
    public void A_megabyte_of_less_than_signs_with_added_tokens_recognised_finds_none()
    {
        string text = new('<', 1 << 20);

        int[] ids = Tokenizer.Encode(text, AddedTokenHandling.Recognize);

        Assert.Equal(text, Tokenizer.Decode(ids));
    }

    [Fact]
    public void Cancellation_stops_encoding()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => Tokenizer.Encode(new string('a', 10_000), AddedTokenHandling.AsText, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => Tokenizer.Encode("short", AddedTokenHandling.Recognize, cancelled.Token));
    }

    [Fact]
    public void Overlapping_added_tokens_match_leftmost_then_longest()
    {
        // "<｜<｜User｜>" has one '<' that starts nothing and one that starts <｜User｜>.
        int user = Tokenizer.TokenId("<｜User｜>")!.Value;

        int[] ids = Tokenizer.Encode("<｜<｜User｜><|EOT|>");

        Assert.Equal(user, ids[^2]);
        Assert.Equal(Tokenizer.TokenId("<|EOT|>"), ids[^1]);
        Assert.Equal("<｜", Tokenizer.Decode(ids[..^2]));
    }
}
