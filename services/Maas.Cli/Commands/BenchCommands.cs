using System.CommandLine;
using System.Diagnostics;
using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Sampling;

namespace Maas.Cli.Commands;

/// <summary>`maas bench engine`: prefill and decode throughput, weight bytes per decode step, and achieved vs measured memory bandwidth.</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        return new Command("bench", "Benchmarks") { CreateEngine() };
    }

    private static Command CreateEngine()
    {
        var model = new Option<string>("--model") { Description = "Model folder", Required = true };
        var batch = new Option<int>("--batch") { Description = "Sequences decoding together", DefaultValueFactory = _ => 1 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length per sequence", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Decode steps to time", DefaultValueFactory = _ => 32 };
        var weights = EngineOptions.WeightsOption();
        var threads = EngineOptions.ThreadsOption();
        var command = new Command("engine", "Measure the engine on a model folder") { model, batch, promptTokens, steps, weights, threads };
        command.SetMaasAction((parseResult, output, cancellationToken) =>
        {
            var threadCount = parseResult.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            var n = Math.Max(1, parseResult.GetValue(batch));
            var prompt = Math.Max(1, parseResult.GetValue(promptTokens));
            var decodeSteps = Math.Max(1, parseResult.GetValue(steps));

            var bandwidth = MemoryBandwidth.Measure(threadCount);
            Console.WriteLine($"memory bandwidth (measured, {threadCount} threads, read): {bandwidth / 1e9:F1} GB/s");

            var load = Stopwatch.StartNew();
            using var engine = DeepseekModel.Load(parseResult.GetValue(model)!, new ModelLoadOptions
            {
                Weights = EngineOptions.Weights(parseResult, weights),
                Threads = threadCount,
                MaxBatchTokens = Math.Max(n * prompt, n),
            });
            var config = engine.Config;
            Console.WriteLine($"model: {config.ArchitectureName}, {config.NumHiddenLayers} layers, {engine.ParameterCount / 1e9:F2} B parameters, " +
                              $"weights {engine.WeightBytes / 1e9:F2} GB in memory, loaded in {load.Elapsed.TotalSeconds:F1} s");

            // Each sequence rounds up to whole pages.
            using var cache = PagedKvCache.ForTokens(config, n * (prompt + decodeSteps + 1 + PagedKvCache.DefaultPageSize), KvCacheElementType.Bf16);
            var sequences = new KvSequence[n];
            var forward = new ForwardBatch(n, Math.Max(n * prompt, n));
            var logits = new float[n * config.VocabSize];
            var random = new Random(42);
            var tokens = new int[n * prompt];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = random.Next(2, config.VocabSize);
            }

            for (var s = 0; s < n; s++)
            {
                sequences[s] = cache.CreateSequence();
                cache.Reserve(sequences[s], prompt + decodeSteps + 1);
                forward.Add(sequences[s], tokens.AsSpan(s * prompt, prompt), allLogits: false);
            }

            var watch = Stopwatch.StartNew();
            engine.Forward(forward, cache, logits);
            var prefillSeconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"prefill: {n} x {prompt} tokens in {prefillSeconds * 1e3:F0} ms = {n * prompt / prefillSeconds:F1} tokens/s");

            // Decode: every sequence feeds back its argmax; the first step warms caches and is not timed. After
            // each timed step (outside the timing) the bandwidth is sampled again, so the ratio is also taken
            // against what the machine delivered while decode ran.
            using var sampler = new MemoryBandwidth(threadCount, 512L << 20);
            var samples = new double[decodeSteps];
            var next = new int[n];
            long bytes = 0;
            watch.Reset();
            for (var step = 0; step <= decodeSteps; step++)
            {
                if (step >= 1)
                {
                    watch.Start();
                }

                for (var s = 0; s < n; s++)
                {
                    next[s] = Sampler.ArgMax(logits.AsSpan(s * config.VocabSize, config.VocabSize));
                }

                forward.Clear();
                for (var s = 0; s < n; s++)
                {
                    forward.Add(sequences[s], next.AsSpan(s, 1), allLogits: false);
                }

                engine.Forward(forward, cache, logits);
                if (step >= 1)
                {
                    watch.Stop();
                    bytes += engine.LastStepWeightBytes;
                    samples[step - 1] = sampler.Measure(repeats: 1);
                }
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var stepsPerSecond = decodeSteps / seconds;
            var bytesPerStep = (double)bytes / decodeSteps;
            var achieved = bytesPerStep * stepsPerSecond;
            Array.Sort(samples);
            var median = samples[samples.Length / 2];
            var bestSample = samples[^1];
            Console.WriteLine($"decode: batch {n}, {decodeSteps} steps in {seconds * 1e3:F0} ms = {stepsPerSecond * n:F1} tokens/s ({stepsPerSecond:F2} steps/s)");
            Console.WriteLine($"weight bytes read per step: {bytesPerStep / 1e6:F1} MB (per decoded token: {bytesPerStep / n / 1e6:F1} MB)");
            Console.WriteLine($"memory bandwidth sampled after each decode step (512 MB, {threadCount} threads): median {median / 1e9:F1} GB/s, best {bestSample / 1e9:F1} GB/s");
            Console.WriteLine($"achieved bandwidth: {achieved / 1e9:F1} GB/s = {100 * achieved / bandwidth:F0}% of measured {bandwidth / 1e9:F1} GB/s before decode; " +
                              $"{100 * achieved / median:F0}% of the median and {100 * achieved / bestSample:F0}% of the best sample during decode");
            return 0;
        });
        return command;
    }
}
