using System.Diagnostics;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Sampling;

namespace Maas.Cli.Commands;

/// <summary>
/// The measurements of `maas bench engine` on one loaded model: prefill tokens/s (prompts go through the model in
/// chunks, as the serving scheduler sends them), decode tokens/s at a batch size after the prompt, weight bytes per
/// step against the memory bandwidth measured before and sampled during decode, and decode at synthetic contexts.
/// </summary>
public sealed class EngineBenchmark(DeepseekModel model, int threads, double bandwidth, int prefillChunk, TextWriter output)
{
    public void Run(EngineBenchmarkCase benchmarkCase)
    {
        (int n, int prompt, int steps, int context) = benchmarkCase;
        var config = model.Config;
        int cached = context > 0 ? context : prompt;
        using var cache = PagedKvCache.ForTokens(config, n * (cached + steps + 1 + PagedKvCache.DefaultPageSize), KvCacheElementType.Bf16);
        var sequences = new KvSequence[n];
        var forward = new ForwardBatch(n, model.MaxBatchTokens);
        var logits = new float[n * config.VocabSize];
        for (var s = 0; s < n; s++)
        {
            sequences[s] = cache.CreateSequence();
            cache.Reserve(sequences[s], cached + steps + 1);
        }

        string after;
        if (context > 0)
        {
            for (var s = 0; s < n; s++)
            {
                cache.AppendRandomEntries(sequences[s], context - 1, seed: s);
            }

            // The first decode step feeds each sequence's last context token.
            var random = new Random(42);
            forward.Clear();
            for (var s = 0; s < n; s++)
            {
                forward.Add(sequences[s], [random.Next(2, config.VocabSize)], allLogits: false);
            }

            model.Forward(forward, cache, logits);
            after = $" at {context} tokens of context (synthetic cache)";
        }
        else
        {
            Prefill(sequences, prompt, forward, cache, logits);
            after = $" after {prompt}-token prompts";
        }

        Decode(sequences, steps, after, forward, cache, logits);
    }

    /// <summary>Every sequence's prompt in steps of at most prefillChunk tokens, sequences in order (as the scheduler chunks them).</summary>
    private void Prefill(KvSequence[] sequences, int prompt, ForwardBatch forward, PagedKvCache cache, float[] logits)
    {
        int n = sequences.Length;
        var random = new Random(42);
        var tokens = new int[n * prompt];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = random.Next(2, model.Config.VocabSize);
        }

        var done = new int[n];
        var steps = 0;
        var watch = Stopwatch.StartNew();
        for (var s = 0; s < n;)
        {
            forward.Clear();
            var budget = prefillChunk;
            for (var q = s; q < n && budget > 0; q++)
            {
                var chunk = Math.Min(budget, prompt - done[q]);
                forward.Add(sequences[q], tokens.AsSpan(q * prompt + done[q], chunk), allLogits: false);
                done[q] += chunk;
                budget -= chunk;
            }

            model.Forward(forward, cache, logits);
            steps++;
            while (s < n && done[s] == prompt)
            {
                s++;
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        output.WriteLine($"prefill: {n} x {prompt} tokens in {seconds * 1e3:F0} ms = {n * prompt / seconds:F1} tokens/s ({steps} steps of at most {prefillChunk} tokens)");
    }

    /// <summary>
    /// Every sequence feeds back its argmax; the first step warms caches and is not timed. After each timed step (outside
    /// the timing) the bandwidth is sampled again, so the ratio is also taken against what the machine delivered meanwhile.
    /// </summary>
    private void Decode(KvSequence[] sequences, int steps, string after, ForwardBatch forward, PagedKvCache cache, float[] logits)
    {
        int n = sequences.Length, vocab = model.Config.VocabSize;
        using var sampler = new MemoryBandwidth(threads, 512L << 20);
        var samples = new double[steps];
        var next = new int[n];
        long bytes = 0;
        var watch = new Stopwatch();
        for (var step = 0; step <= steps; step++)
        {
            if (step >= 1)
            {
                watch.Start();
            }

            for (var s = 0; s < n; s++)
            {
                next[s] = Sampler.ArgMax(logits.AsSpan(s * vocab, vocab));
            }

            forward.Clear();
            for (var s = 0; s < n; s++)
            {
                forward.Add(sequences[s], next.AsSpan(s, 1), allLogits: false);
            }

            model.Forward(forward, cache, logits);
            if (step >= 1)
            {
                watch.Stop();
                bytes += model.LastStepWeightBytes;
                samples[step - 1] = sampler.Measure(repeats: 1);
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var stepsPerSecond = steps / seconds;
        var bytesPerStep = (double)bytes / steps;
        var achieved = bytesPerStep * stepsPerSecond;
        Array.Sort(samples);
        var median = samples[samples.Length / 2];
        var bestSample = samples[^1];
        output.WriteLine($"decode: batch {n}{after}, {steps} steps in {seconds * 1e3:F0} ms = {stepsPerSecond * n:F1} tokens/s ({stepsPerSecond:F2} steps/s, {1e3 / stepsPerSecond:F1} ms per step)");
        output.WriteLine($"weight bytes read per step: {bytesPerStep / 1e6:F1} MB (per decoded token: {bytesPerStep / n / 1e6:F1} MB)");
        output.WriteLine($"memory bandwidth sampled after each decode step (512 MB, {threads} threads): median {median / 1e9:F1} GB/s, best {bestSample / 1e9:F1} GB/s");
        output.WriteLine($"achieved bandwidth: {achieved / 1e9:F1} GB/s = {100 * achieved / bandwidth:F0}% of measured {bandwidth / 1e9:F1} GB/s before decode; " +
                         $"{100 * achieved / median:F0}% of the median and {100 * achieved / bestSample:F0}% of the best sample during decode");
    }
}
