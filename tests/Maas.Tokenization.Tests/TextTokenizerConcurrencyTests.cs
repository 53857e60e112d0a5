using System.Diagnostics;
using System.Text;
using Maas.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Tokenization.Tests;

/// <summary>One tokenizer serves all sequences of a model, so it is used from many threads at once.</summary>
public sealed class TextTokenizerConcurrencyTests(ITestOutputHelper output)
{
    private static TextTokenizer Tokenizer => TokenizerAssets.DeepSeekV3;

    [Fact]
    public void Parallel_encodes_give_the_same_ids_as_sequential_ones()
    {
        string[] texts = Enumerable.Range(0, 200)
            .Select(i => $"Request {i}: 温度 {i * 37 % 1000} °C 🔥 pump-{i % 7} <｜User｜> status {new string('x', i % 13)} 𝔘{i}")
            .ToArray();
        int[][] sequential = texts.Select(Tokenizer.Encode).ToArray();

        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Tokenizer.Encode(texts[i]));

        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(sequential[i], parallel[i]);
        }
    }

    [Fact]
    public void Long_prompt_round_trips()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            text.Append("Line ").Append(i).Append(": valve V-").Append(i % 97).Append(" at ").Append(i * 0.25).Append(" bar; 检查 ✓\n");
        }

        text.Append(new string('a', 5000)).Append(new string(' ', 3000)).Append("end");
        string prompt = text.ToString();
        var watch = Stopwatch.StartNew();

        int[] ids = Tokenizer.Encode(prompt);

        watch.Stop();
        output.WriteLine($"{prompt.Length} chars -> {ids.Length} tokens in {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(prompt, Tokenizer.Decode(ids));
    }
}
