using System.Diagnostics;
using Maas.Engine.Sampling;
using Maas.Engine.Serving;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Engine.Tests.Sampling;

/// <summary>Sampling runs once per token per sequence: after construction it must not allocate.</summary>
public sealed class SamplerAllocationTests(ITestOutputHelper output)
{
    private const int DeepSeekVocab = 129280;

    [Theory]
    [InlineData(0f, 1f, 0, false)]
    [InlineData(1f, 1f, 0, false)]
    [InlineData(0.7f, 0.9f, 0, true)]
    [InlineData(0.7f, 0.95f, 40, true)]
    public void Sample_does_not_allocate_per_token(float temperature, float topP, int topK, bool logprobs)
    {
        var random = new Random(1);
        var logits = new float[DeepSeekVocab];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 20 - 10);
        }

        var sampler = new Sampler(
            new SamplingParameters
            {
                Temperature = temperature, TopP = topP, TopK = topK, Seed = 1, Logprobs = logprobs, TopLogprobs = logprobs ? 5 : 0,
                FrequencyPenalty = 0.2f, PresencePenalty = 0.1f,
            },
            DeepSeekVocab);
        for (int i = 0; i < 5; i++)
        {
            sampler.Sample(logits);
        }

        // Background tier-up of the JIT can allocate once inside a window; a per-token allocation shows in every window.
        const int steps = 100;
        long allocated = long.MaxValue;
        var watch = new Stopwatch(); // created outside the measured windows: it is itself an allocation
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            watch.Restart();
            for (int i = 0; i < steps; i++)
            {
                sampler.Sample(logits);
            }

            watch.Stop();
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        output.WriteLine($"T={temperature} top_p={topP} top_k={topK} logprobs={logprobs}: {watch.Elapsed.TotalMilliseconds / steps:F3} ms/token over {DeepSeekVocab} logits (Debug build)");
        Assert.Equal(0, allocated);
    }
}
