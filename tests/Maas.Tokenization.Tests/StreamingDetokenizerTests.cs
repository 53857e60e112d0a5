using System.Text;
using System.Text.Unicode;
using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

public sealed class StreamingDetokenizerTests
{
    private static TextTokenizer Tokenizer => TokenizerAssets.DeepSeekV3;

    [Theory]
    [InlineData("🔥 overheating alert 🔥 on motor M-9 ⚠️")]
    [InlineData("emoji sequence 👨‍👩‍👧‍👦 family and flags 🇯🇵🇺🇸")]
    [InlineData("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 𠜎𠜱 CJK-B 🦀")]
    [InlineData("请将3号线的停机原因汇总成报告。")]
    [InlineData("plain ascii")]
    public void Token_by_token_chunks_concatenate_to_the_decoded_text_without_broken_characters(string text)
    {
        int[] ids = Tokenizer.Encode(text);
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        var streamed = new StringBuilder();
        bool sawHeldBytes = false;

        foreach (int id in ids)
        {
            ReadOnlySpan<char> chunk = detokenizer.Push(id);
            AssertWellFormed(chunk);
            streamed.Append(chunk);
            sawHeldBytes |= detokenizer.HeldBytes > 0;
        }

        ReadOnlySpan<char> tail = detokenizer.Flush();
        AssertWellFormed(tail);
        streamed.Append(tail);

        Assert.Equal(Tokenizer.Decode(ids), streamed.ToString());
        Assert.Equal(text, streamed.ToString());
        // Holding back happens exactly when some token is not valid UTF-8 on its own.
        bool anyPartialToken = ids.Any(id => !Utf8.IsValid(Tokenizer.TokenBytes(id)));
        Assert.Equal(anyPartialToken, sawHeldBytes);
    }

    [Fact]
    public void Emoji_split_over_tokens_is_held_back_until_complete()
    {
        int[] ids = Tokenizer.Encode("🦀");
        Assert.True(ids.Length > 1, "the crab emoji is expected to span several byte-level tokens");
        var detokenizer = new StreamingDetokenizer(Tokenizer);

        for (int i = 0; i < ids.Length - 1; i++)
        {
            Assert.Equal(0, detokenizer.Push(ids[i]).Length);
            Assert.True(detokenizer.HeldBytes > 0);
        }

        Assert.Equal("🦀", detokenizer.Push(ids[^1]).ToString());
        Assert.Equal(0, detokenizer.HeldBytes);
    }

    [Fact]
    public void Flush_replaces_an_unfinished_character_with_one_replacement_char()
    {
        int[] ids = Tokenizer.Encode("🦀");
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        Assert.Equal(0, detokenizer.Push(ids[0]).Length);

        Assert.Equal("\uFFFD", detokenizer.Flush().ToString());
        Assert.Equal(0, detokenizer.HeldBytes);
    }

    private static void AssertWellFormed(ReadOnlySpan<char> chunk)
    {
        Assert.True(chunk.IndexOf('\uFFFD') < 0, $"chunk contains U+FFFD: {chunk.ToString()}");
        for (int i = 0; i < chunk.Length; i++)
        {
            if (char.IsHighSurrogate(chunk[i]))
            {
                Assert.True(i + 1 < chunk.Length && char.IsLowSurrogate(chunk[i + 1]), "unpaired high surrogate");
                i++;
            }
            else
            {
                Assert.False(char.IsLowSurrogate(chunk[i]), "unpaired low surrogate");
            }
        }
    }

    [Fact]
    public void Skipping_added_tokens_renders_none_of_them_and_keeps_a_character_split_around_them_whole()
    {
        // 🦀 is split over byte-level tokens; a sampled control token between its parts must neither show nor break it.
        int[] crab = Tokenizer.Encode("🦀");
        Assert.True(crab.Length >= 2, "the crab needs to span tokens for this test");
        int placeholder = Tokenizer.TokenId("<｜place▁holder▁no▁7｜>")!.Value;
        int user = Tokenizer.TokenId("<｜User｜>")!.Value;
        int[] sampled = [.. Tokenizer.Encode("ok "), crab[0], placeholder, user, .. crab[1..], Tokenizer.BosTokenId, .. Tokenizer.Encode(" done"), Tokenizer.EosTokenIds[0]];
        var skipping = new StreamingDetokenizer(Tokenizer, skipAddedTokens: true);
        var rendering = new StreamingDetokenizer(Tokenizer);
        var skipped = new StringBuilder();
        var rendered = new StringBuilder();

        foreach (int id in sampled)
        {
            ReadOnlySpan<char> chunk = skipping.Push(id);
            AssertWellFormed(chunk);
            skipped.Append(chunk);
            rendered.Append(rendering.Push(id));
        }

        skipped.Append(skipping.Flush());
        rendered.Append(rendering.Flush());

        Assert.Equal("ok 🦀 done", skipped.ToString());
        Assert.Contains("<｜place▁holder▁no▁7｜><｜User｜>", rendered.ToString(), StringComparison.Ordinal);
    }
}
