using System.Diagnostics;
using Maas.Benchmarks.Platform;
using Maas.Checkpoints;
using Maas.Engine;
using Maas.Engine.Experts;
using Maas.Engine.Kernels;
using Maas.Engine.Serving;
using Maas.Engine.Tools.Checkpoints;

namespace Maas.Benchmarks.Engine;

/// <summary>
/// Tenant fine-tunes in the engine (`finetunes`): on a checkpoint (default the `make bench` DeepSeek-V2-Lite-shaped
/// 8-layer one) with random fine-tunes replacing --fraction (8%) of every MoE layer's routed experts: the cold start of a
/// fine-tune (load of its experts, then the first token of its first request) next to a base request's first token;
/// aggregate decode tokens/s of N concurrent requests each on a different fine-tune versus N on the base model (the
/// same continuous batch, so replacements are the only difference); the memory N loaded fine-tunes hold versus N × the
/// artifact size, and how many fit beside the base model in a memory budget. Usage:
/// `finetunes --model DIR [--weights q8|native|bf16] [--threads 2] [--n 8] [--fraction 0.08] [--prompt 32] [--tokens 48] [--rounds 2] [--budget-gib 24]`.
/// </summary>
public static class FineTuneThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var model = HarnessArguments.Value(args, "--model") ?? Path.Combine(Directory.GetCurrentDirectory(), ".data", "models", "bench-v2lite-fp8");
        var weights = Enum.Parse<WeightPrecision>(HarnessArguments.Value(args, "--weights") ?? "q8", ignoreCase: true);
        var threads = HarnessArguments.Int(args, "--threads", 2);
        var n = HarnessArguments.Int(args, "--n", 8);
        var fraction = double.Parse(HarnessArguments.Value(args, "--fraction") ?? "0.08", System.Globalization.CultureInfo.InvariantCulture);
        var promptLength = HarnessArguments.Int(args, "--prompt", 32);
        var tokens = HarnessArguments.Int(args, "--tokens", 48);
        var rounds = HarnessArguments.Int(args, "--rounds", 2);
        var budget = HarnessArguments.Int(args, "--budget-gib", 24) * (1L << 30);
        var config = ModelConfig.Load(model);

        Console.WriteLine($"CPU: {SimdSupport.CpuFeatures()}; {Environment.ProcessorCount} logical cores; load average {LoadAverage()}");
        Console.WriteLine($"model {model}: {config.NumHiddenLayers} layers, {config.NRoutedExperts} routed experts, weights {weights}, {threads} threads");
        var folders = new string[n];
        var artifactBytes = 0L;
        for (var i = 0; i < n; i++)
        {
            folders[i] = Path.Combine(model + "-finetunes", $"ft{i}-{fraction:F2}");
            if (!File.Exists(Path.Combine(folders[i], "model.safetensors")))
            {
                RandomFineTuneWriter.Write(model, RandomFineTuneWriter.SpreadExperts(config, fraction, seed: 100 + i), folders[i], seed: 1000 + i);
            }

            artifactBytes += new FileInfo(Path.Combine(folders[i], "model.safetensors")).Length;
        }

        var watch = Stopwatch.StartNew();
        await using var engine = InferenceEngine.Load(new InferenceEngineOptions
        {
            ModelPath = model,
            Weights = weights,
            Threads = threads,
            MaxBatchSequences = Math.Max(16, n),
            MaxBatchTokens = 512,
            KvCacheTokens = 16384,
        });
        Console.WriteLine($"base model loaded in {watch.Elapsed.TotalSeconds:F1} s");
        var random = new Random(7);
        int[] Prompt() => [.. Enumerable.Range(0, promptLength).Select(_ => random.Next(1000, 100000))];

        // Warm-up (JIT, kernel paths) and the base's first token.
        await RunAsync(engine, [null], Prompt, 4);
        var baseFirst = (await RunAsync(engine, [null], Prompt, 1)).FirstToken;

        // Cold start: load the fine-tune's experts, then its first request's first token.
        var experts = new FineTuneExperts[n];
        var loads = new TimeSpan[n];
        for (var i = 0; i < n; i++)
        {
            watch.Restart();
            experts[i] = engine.LoadFineTune(folders[i], $"ft{i}");
            loads[i] = watch.Elapsed;
        }

        var coldFirst = (await RunAsync(engine, [experts[0]], Prompt, 1)).FirstToken;
        Console.WriteLine($"cold fine-tune: load {loads[0].TotalMilliseconds:F0} ms (median of {n}: {loads.Order().ElementAt(n / 2).TotalMilliseconds:F0} ms, {experts[0].ExpertCount} experts) + first token {coldFirst.TotalMilliseconds:F0} ms = {(loads[0] + coldFirst).TotalMilliseconds:F0} ms; base first token {baseFirst.TotalMilliseconds:F0} ms (prompt {promptLength} tokens)");

        var held = experts.Sum(e => e.ByteLength);
        Console.WriteLine($"memory: {n} fine-tunes hold {held / 1e6:F1} MB vs {n} x artifact = {artifactBytes / 1e6:F1} MB (ratio {(double)held / artifactBytes:F3}; BF16 artifacts held as {weights})");
        var baseBytes = new FileInfo(Path.Combine(model, "model.safetensors")).Length;
        var perFineTune = (double)held / n;
        Console.WriteLine($"fit beside the base in {budget >> 30} GiB: base checkpoint {baseBytes / 1e9:F2} GB on disk; {(budget - baseBytes) / perFineTune:F0} fine-tunes of {perFineTune / 1e6:F1} MB (before KV cache and buffers)");

        // Decode throughput: N requests on the base model vs N each on its own fine-tune, same prompts and lengths.
        for (var round = 0; round < rounds; round++)
        {
            var baseRun = await RunAsync(engine, Enumerable.Repeat<FineTuneExperts?>(null, n).ToArray(), Prompt, tokens);
            var mixed = await RunAsync(engine, experts, Prompt, tokens);
            Console.WriteLine($"round {round + 1}: decode {n} x base {baseRun.DecodeTokensPerSecond:F1} tok/s, {n} x distinct fine-tunes {mixed.DecodeTokensPerSecond:F1} tok/s (ratio {mixed.DecodeTokensPerSecond / baseRun.DecodeTokensPerSecond:F2}); load average {LoadAverage()}");
        }

        foreach (var e in experts)
        {
            e.Dispose();
        }

        return 0;
    }

    private sealed record RunResult(TimeSpan FirstToken, double DecodeTokensPerSecond);

    /// <summary>One request per entry of <paramref name="fineTunes"/> (null: the base model), all at once.</summary>
    private static async Task<RunResult> RunAsync(InferenceEngine engine, FineTuneExperts?[] fineTunes, Func<int[]> prompt, int tokens)
    {
        var start = Stopwatch.GetTimestamp();
        var firsts = new long[fineTunes.Length];
        var ends = new long[fineTunes.Length];
        var counts = new int[fineTunes.Length];
        var prompts = fineTunes.Select(_ => prompt()).ToArray();
        await Task.WhenAll(fineTunes.Select(async (fineTune, i) =>
        {
            var request = new GenerationRequest { RequestId = $"bench-{i}", PromptTokens = prompts[i], MaxTokens = tokens, StopAtEos = false, FineTune = fineTune };
            await foreach (var e in engine.GenerateAsync(request, CancellationToken.None))
            {
                if (e.TokenId < 0)
                {
                    continue;
                }

                if (counts[i]++ == 0)
                {
                    firsts[i] = Stopwatch.GetTimestamp();
                }

                ends[i] = Stopwatch.GetTimestamp();
            }
        }));

        // Decode rate: every token after each request's first, over the time from the first first-token to the last token
        // (the prompts are short and prefilled together in one step, so this window is decode steps).
        var decoded = counts.Sum(c => Math.Max(0, c - 1));
        var window = Stopwatch.GetElapsedTime(firsts.Min(), ends.Max()).TotalSeconds;
        return new RunResult(Stopwatch.GetElapsedTime(start, firsts.Min()), window > 0 ? decoded / window : 0);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
