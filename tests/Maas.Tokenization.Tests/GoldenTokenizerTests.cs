using System.Text.Json;
using Maas.Tokenization;
using Xunit;

namespace Maas.Tokenization.Tests;

/// <summary>The reference ids of tests/fixtures/golden/tokenizer-deepseek-v3 (transformers.js on the same tokenizer.json).</summary>
public sealed class GoldenTokenizerTests
{
    public static TheoryData<int> Lines()
    {
        var data = new TheoryData<int>();
        int count = File.ReadAllLines(Path.Combine(TokenizerAssets.GoldenFolder, "corpus.jsonl")).Length;
        for (int i = 0; i < count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Corpus_line_encodes_to_reference_ids_and_decodes_back(int line)
    {
        string text = JsonSerializer.Deserialize<string>(File.ReadAllLines(Path.Combine(TokenizerAssets.GoldenFolder, "corpus.jsonl"))[line])!;
        int[] expected = File.ReadAllLines(Path.Combine(TokenizerAssets.GoldenFolder, "ids.txt"))[line]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        TextTokenizer tokenizer = TokenizerAssets.DeepSeekV3;

        int[] actual = tokenizer.Encode(text);

        Assert.Equal(expected, actual);
        Assert.Equal(text, tokenizer.Decode(actual));
    }

    [Fact]
    public void Corpus_and_ids_have_the_same_number_of_lines()
    {
        Assert.Equal(
            File.ReadAllLines(Path.Combine(TokenizerAssets.GoldenFolder, "corpus.jsonl")).Length,
            File.ReadAllLines(Path.Combine(TokenizerAssets.GoldenFolder, "ids.txt")).Length);
    }
}
