using Maas.Engine.Sampling;
using Maas.Engine.Serving;
using Xunit;

namespace Maas.Engine.Tests.Sampling;

public sealed class SamplerTests
{
    private const int Vocab = 1000;

    /// <summary>Smooth random logits (fixed System.Random seed for test data only).</summary>
    private static float[] RandomLogits(int seed, int size = Vocab, double scale = 3)
    {
        var random = new Random(seed);
        var logits = new float[size];
        for (int i = 0; i < size; i++)
        {
            logits[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return logits;
    }

    private static int[] Run(SamplingParameters parameters, int steps, int logitsSeed = 7)
    {
        var sampler = new Sampler(parameters, Vocab);
        float[] logits = RandomLogits(logitsSeed);
        var picks = new int[steps];
        for (int i = 0; i < steps; i++)
        {
            picks[i] = sampler.Sample(logits);
        }

        return picks;
    }

    [Fact]
    public void Same_seed_gives_the_same_picks()
    {
        var parameters = new SamplingParameters { Temperature = 1.2f, TopP = 0.95f, Seed = 42 };

        Assert.Equal(Run(parameters, 500), Run(parameters, 500));
    }

    [Fact]
    public void Different_seeds_give_different_picks()
    {
        int[] a = Run(new SamplingParameters { Seed = 1 }, 200);
        int[] b = Run(new SamplingParameters { Seed = 2 }, 200);

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Reset_replays_the_same_picks()
    {
        var sampler = new Sampler(new SamplingParameters { Seed = 9, FrequencyPenalty = 0.5f }, Vocab);
        float[] logits = RandomLogits(3);
        int[] first = Enumerable.Range(0, 50).Select(_ => sampler.Sample(logits)).ToArray();

        sampler.Reset();
        int[] second = Enumerable.Range(0, 50).Select(_ => sampler.Sample(logits)).ToArray();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Temperature_zero_is_argmax()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            float[] logits = RandomLogits(seed);
            int expected = Array.IndexOf(logits, logits.Max());

            Assert.Equal(expected, new Sampler(new SamplingParameters { Temperature = 0, Seed = seed }, Vocab).Sample(logits));
        }
    }

    [Fact]
    public void Top_k_never_picks_outside_the_k_largest()
    {
        const int k = 5;
        float[] logits = RandomLogits(11, scale: 0.5); // flat, so the tail has real mass
        var allowed = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(k).Select(x => x.i).ToHashSet();
        var sampler = new Sampler(new SamplingParameters { Temperature = 1.5f, TopK = k, Seed = 5 }, Vocab);
        var seen = new HashSet<int>();

        for (int draw = 0; draw < 5000; draw++)
        {
            int id = sampler.Sample(logits);
            Assert.Contains(id, allowed);
            seen.Add(id);
        }

        Assert.Equal(k, seen.Count); // all k are reachable
    }

    [Fact]
    public void Top_p_never_picks_outside_the_nucleus()
    {
        // Probabilities 0.5, 0.3, 0.15 then 0.05 spread over the other 997 tokens.
        // top_p 0.9: 0.5 + 0.3 = 0.8 < 0.9, adding 0.15 reaches 0.95 → nucleus {0, 1, 2}.
        var logits = new float[Vocab];
        logits[0] = MathF.Log(0.5f);
        logits[1] = MathF.Log(0.3f);
        logits[2] = MathF.Log(0.15f);
        for (int i = 3; i < Vocab; i++)
        {
            logits[i] = MathF.Log(0.05f / (Vocab - 3));
        }

        var sampler = new Sampler(new SamplingParameters { TopP = 0.9f, Seed = 3 }, Vocab);
        var counts = new int[3];
        for (int draw = 0; draw < 5000; draw++)
        {
            int id = sampler.Sample(logits);
            Assert.InRange(id, 0, 2);
            counts[id]++;
        }

        // Renormalised nucleus: 0.5/0.95 ≈ 0.53, 0.3/0.95 ≈ 0.32, 0.15/0.95 ≈ 0.16.
        Assert.InRange(counts[0] / 5000.0, 0.49, 0.57);
        Assert.InRange(counts[2] / 5000.0, 0.13, 0.19);
    }

    [Fact]
    public void Top_k_then_top_p_combine()
    {
        var logits = new float[Vocab];
        Array.Fill(logits, -10f);
        logits[10] = 5f;
        logits[20] = 4.9f;
        logits[30] = 1f;
        var sampler = new Sampler(new SamplingParameters { TopK = 3, TopP = 0.6f, Seed = 1 }, Vocab);

        for (int draw = 0; draw < 2000; draw++)
        {
            Assert.Contains(sampler.Sample(logits), new[] { 10, 20 });
        }
    }

    [Fact]
    public void Sampling_frequencies_follow_the_softmax()
    {
        float[] logits = [0f, 1f, 2f, -1f];
        var sampler = new Sampler(new SamplingParameters { Seed = 123 }, logits.Length);
        var counts = new int[logits.Length];
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
        {
            counts[sampler.Sample(logits)]++;
        }

        double[] expected = Softmax(logits);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.InRange(counts[i] / (double)draws, expected[i] - 0.015, expected[i] + 0.015);
        }
    }

    [Fact]
    public void Logprobs_are_log_softmax_of_the_logits()
    {
        float[] logits = RandomLogits(5, scale: 8);
        var sampler = new Sampler(new SamplingParameters { Seed = 8, Temperature = 0.7f, TopP = 0.5f, Logprobs = true, TopLogprobs = 5 }, Vocab);

        int id = sampler.Sample(logits);

        double[] reference = LogSoftmax(logits);
        Assert.Equal(reference[id], sampler.ChosenLogprob, 4);
        foreach (TokenCandidate candidate in sampler.TopLogprobs)
        {
            Assert.Equal(reference[candidate.TokenId], candidate.Logprob, 4);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    public void Top_logprobs_are_the_requested_count_sorted_and_the_true_top(int n)
    {
        float[] logits = RandomLogits(17);
        var sampler = new Sampler(new SamplingParameters { Seed = 4, Logprobs = true, TopLogprobs = n }, Vocab);

        sampler.Sample(logits);

        TokenCandidate[] top = sampler.TopLogprobs.ToArray();
        Assert.Equal(n, top.Length);
        for (int i = 1; i < n; i++)
        {
            Assert.True(top[i - 1].Logprob >= top[i].Logprob);
        }

        int[] expectedIds = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(n).Select(x => x.i).ToArray();
        Assert.Equal(expectedIds, top.Select(c => c.TokenId).ToArray());
    }

    [Fact]
    public void Without_logprobs_nothing_is_reported()
    {
        var sampler = new Sampler(new SamplingParameters { Seed = 4, TopLogprobs = 5 }, Vocab);

        sampler.Sample(RandomLogits(1));

        Assert.True(float.IsNaN(sampler.ChosenLogprob));
        Assert.Equal(0, sampler.TopLogprobs.Length);
    }

    [Fact]
    public void Frequency_penalty_lowers_a_repeated_token_by_count_times_penalty()
    {
        var logits = new float[Vocab];
        logits[7] = 10f; // greedy always picks 7 at first
        var sampler = new Sampler(new SamplingParameters { Temperature = 0, FrequencyPenalty = 0.5f, Logprobs = true }, Vocab);

        Assert.Equal(7, sampler.Sample(logits));
        double first = sampler.ChosenLogprob;
        Assert.Equal(7, sampler.Sample(logits));
        double second = sampler.ChosenLogprob;
        Assert.Equal(7, sampler.Sample(logits));
        double third = sampler.ChosenLogprob;

        Assert.True(second < first && third < second);
        var penalised = (float[])logits.Clone();
        penalised[7] -= 2 * 0.5f; // seen twice before the third step
        Assert.Equal(LogSoftmax(penalised)[7], third, 4);
        Assert.Equal(3, sampler.CountOf(7));
    }

    [Fact]
    public void Presence_penalty_is_applied_once_regardless_of_count()
    {
        var logits = new float[Vocab];
        logits[7] = 10f;
        var sampler = new Sampler(new SamplingParameters { Temperature = 0, PresencePenalty = 1.5f, Logprobs = true }, Vocab);

        sampler.Sample(logits);
        double before = sampler.ChosenLogprob;
        sampler.Sample(logits);
        double afterOne = sampler.ChosenLogprob;
        sampler.Sample(logits);
        double afterTwo = sampler.ChosenLogprob;

        var penalised = (float[])logits.Clone();
        penalised[7] -= 1.5f;
        Assert.True(afterOne < before);
        Assert.Equal(LogSoftmax(penalised)[7], afterOne, 4);
        Assert.Equal(afterOne, afterTwo, 6);
    }

    [Fact]
    public void Strong_penalty_moves_greedy_off_the_repeated_token()
    {
        var logits = new float[Vocab];
        logits[7] = 2f;
        logits[8] = 1.5f;
        var sampler = new Sampler(new SamplingParameters { Temperature = 0, FrequencyPenalty = 1f }, Vocab);

        Assert.Equal(7, sampler.Sample(logits));
        Assert.Equal(8, sampler.Sample(logits));
    }

    [Fact]
    public void Works_on_a_deepseek_sized_vocabulary_with_top_p()
    {
        const int size = 129280;
        float[] logits = RandomLogits(2, size, scale: 12);
        var sampler = new Sampler(new SamplingParameters { Temperature = 0.8f, TopP = 0.9f, Seed = 6, Logprobs = true, TopLogprobs = 3 }, size);

        for (int step = 0; step < 20; step++)
        {
            int id = sampler.Sample(logits);
            Assert.InRange(id, 0, size - 1);
            Assert.True(sampler.ChosenLogprob <= 0);
        }
    }

    [Fact]
    public void Padding_logits_beyond_the_sampleable_tokens_are_never_picked_or_reported()
    {
        var logits = new float[Vocab];
        logits[Vocab - 1] = 50f; // a padding row with a huge logit
        logits[Vocab - 2] = 40f;
        logits[3] = 1f;
        var sampler = new Sampler(new SamplingParameters { Seed = 2, Logprobs = true, TopLogprobs = 3 }, Vocab, sampleableTokens: Vocab - 10);

        for (int draw = 0; draw < 500; draw++)
        {
            Assert.InRange(sampler.Sample(logits), 0, Vocab - 11);
            Assert.Equal(3, sampler.TopLogprobs[0].TokenId);
        }

        Assert.Equal(Vocab - 10, sampler.SampleableTokens);
        Assert.Equal(Vocab, sampler.VocabSize);
    }

    [Fact]
    public void Invalid_parameters_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingParameters { TopP = 0 }, Vocab));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingParameters { Temperature = -1 }, Vocab));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingParameters { TopLogprobs = 21 }, Vocab));
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingParameters(), Vocab).Sample(new float[Vocab - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingParameters(), Vocab, sampleableTokens: Vocab + 1));
    }

    private static double[] LogSoftmax(float[] logits)
    {
        double max = logits.Max();
        double sum = logits.Sum(l => Math.Exp(l - max));
        double log = max + Math.Log(sum);
        return logits.Select(l => l - log).ToArray();
    }

    private static double[] Softmax(float[] logits) => LogSoftmax(logits).Select(Math.Exp).ToArray();
}
