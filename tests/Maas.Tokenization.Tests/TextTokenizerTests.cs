using System.Diagnostics;
using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

public sealed class TextTokenizerTests
{
    private const string Bos = "<｜begin▁of▁sentence｜>";
    private const string Eos = "<｜end▁of▁sentence｜>";

    private static TextTokenizer Tokenizer => TokenizerAssets.DeepSeekV3;

    [Fact]
    public void Bos_is_0_and_eos_is_1_from_the_real_tokenizer_files()
    {
        Assert.Equal(0, Tokenizer.BosTokenId);
        Assert.Equal([1], Tokenizer.EosTokenIds);
        Assert.True(Tokenizer.AddBosToken);
    }

    [Fact]
    public void Vocab_size_counts_added_tokens_beyond_the_bpe_vocabulary()
    {
        // tokenizer.json: 128,000 BPE entries (ids 0..127999) and added tokens up to id 128814.
        Assert.Equal(128815, Tokenizer.VocabSize);
        Assert.Equal(Bos, Tokenizer.TokenText(0));
        Assert.Equal("<｜tool▁sep｜>", Tokenizer.TokenText(128814));
    }

    [Theory]
    [InlineData(Bos, 0)]
    [InlineData(Eos, 1)]
    [InlineData("<｜User｜>", 128803)]
    [InlineData("<｜Assistant｜>", 128804)]
    public void Special_token_written_in_text_encodes_to_its_single_id(string special, int expectedId)
    {
        Assert.Equal(expectedId, Tokenizer.TokenId(special));
        Assert.Equal([expectedId], Tokenizer.Encode(special));

        int[] ids = Tokenizer.Encode("Hi" + special + "there");

        Assert.Equal(3, ids.Length);
        Assert.Equal(expectedId, ids[1]);
        Assert.Equal(Tokenizer.Encode("Hi"), ids[..1]);
        Assert.Equal(Tokenizer.Encode("there"), ids[2..]);
    }

    [Fact]
    public void Encode_does_not_add_bos()
    {
        Assert.NotEqual(Tokenizer.BosTokenId, Tokenizer.Encode("Hello")[0]);
        Assert.Empty(Tokenizer.Encode(""));
    }

    [Theory]
    [InlineData("汉字和かなカナ混合の文章です。")]
    [InlineData("1234567 and 89 and 0")]
    [InlineData("crab 🦀 and script X 𝒳 and 🦀🦀🦀")]
    [InlineData("tabs\t\tand  spaces   \n\n\r\n  newline\u00a0nbsp\u3000ideographic")]
    [InlineData("fn main() {\n    let x: Vec<u8> = vec![1, 2, 3];\n    println!(\"{x:?}\");\n}\n")]
    [InlineData("<｜User｜>hello<｜Assistant｜>world<｜end▁of▁sentence｜>")]
    [InlineData("𝟏𝟐𝟑𝟒𝟓 math digits")]
    public void Text_round_trips_through_encode_and_decode(string text)
    {
        int[] ids = Tokenizer.Encode(text);

        Assert.NotEmpty(ids);
        Assert.Equal(text, Tokenizer.Decode(ids));
    }

    [Fact]
    public void Digit_runs_split_into_groups_of_at_most_three()
    {
        int[] ids = Tokenizer.Encode("1234567");

        // \p{N}{1,3} isolates "123", "456", "7"; each group is a single vocabulary entry.
        Assert.Equal(3, ids.Length);
        Assert.Equal(["123", "456", "7"], ids.Select(Tokenizer.TokenText).ToArray());
    }

    [Fact]
    public void Emoji_bytes_split_across_tokens_decode_whole()
    {
        int[] ids = Tokenizer.Encode("🦀");
        int totalBytes = ids.Sum(id => Tokenizer.TokenBytes(id).Length);

        Assert.Equal(4, totalBytes);
        Assert.Equal("🦀", Tokenizer.Decode(ids));
    }

    [Fact]
    public void Missing_files_are_named_in_the_error()
    {
        string folder = Directory.CreateTempSubdirectory("maas-tok-").FullName;
        try
        {
            var missingModel = Assert.Throws<FileNotFoundException>(() => TextTokenizer.Load(folder));
            Assert.Contains("tokenizer.json", missingModel.Message);

            File.Copy(Path.Combine(TokenizerAssets.DeepSeekV3Folder, "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
            var missingConfig = Assert.Throws<FileNotFoundException>(() => TextTokenizer.Load(folder));
            Assert.Contains("tokenizer_config.json", missingConfig.Message);

            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{ not json");
            var badConfig = Assert.Throws<InvalidDataException>(() => TextTokenizer.Load(folder));
            Assert.Contains("tokenizer_config.json", badConfig.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Token_id_outside_the_vocabulary_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([Tokenizer.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1]));
    }
}
