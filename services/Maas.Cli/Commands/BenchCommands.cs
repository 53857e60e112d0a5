using System.CommandLine;
using System.Diagnostics;
using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.Model;

namespace Maas.Cli.Commands;

/// <summary>
/// `maas bench engine`: the CPU and the kernel path of each family, then prefill and decode throughput, weight bytes per
/// decode step, and achieved vs measured memory bandwidth, for one or several cases on one load (<see cref="EngineBenchmark"/>).
/// </summary>
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
        var cases = new Option<string?>("--cases") { Description = "Several measurements on one load: BATCHxPROMPT[:STEPS],... (e.g. 1x512:1,1x2048:32,1x32:32,16x32:32); replaces --batch/--prompt-tokens" };
        var contexts = new Option<string?>("--contexts") { Description = "Also decode --steps steps at --batch over these many tokens of synthetic (random) cached context, e.g. 32,512,2048,8192" };
        var prefillChunk = new Option<int>("--prefill-chunk") { Description = "Most prompt tokens per forward step (the serving default)", DefaultValueFactory = _ => 512 };
        var weights = EngineOptions.WeightsOption();
        var threads = EngineOptions.ThreadsOption();
        var simd = EngineOptions.SimdOption();
        var command = new Command("engine", "Measure the engine on a model folder") { model, batch, promptTokens, steps, cases, contexts, prefillChunk, weights, threads, simd };
        command.SetMaasAction((parseResult, output, cancellationToken) =>
        {
            var threadCount = parseResult.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            var decodeSteps = Math.Max(1, parseResult.GetValue(steps));
            var n = Math.Max(1, parseResult.GetValue(batch));
            var chunk = Math.Max(1, parseResult.GetValue(prefillChunk));
            var runs = new List<EngineBenchmarkCase>();
            if (parseResult.GetValue(cases) is { } list)
            {
                runs.AddRange(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => EngineBenchmarkCase.Parse(c, decodeSteps)));
            }
            else
            {
                runs.Add(new EngineBenchmarkCase(n, Math.Max(1, parseResult.GetValue(promptTokens)), decodeSteps));
            }

            foreach (var context in (parseResult.GetValue(contexts) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                runs.Add(new EngineBenchmarkCase(n, 0, decodeSteps, int.Parse(context, System.Globalization.CultureInfo.InvariantCulture)));
            }

            var level = EngineOptions.Simd(parseResult, simd);
            output.WriteLine($"cpu: {EngineOptions.CpuName()}, {Environment.ProcessorCount} logical cores; vector features (.NET): {SimdSupport.CpuFeatures()}");
            output.WriteLine($"kernels: {KernelPaths.For(level)}");
            var bandwidth = MemoryBandwidth.Measure(threadCount);
            output.WriteLine($"memory bandwidth (measured, {threadCount} threads, read): {bandwidth / 1e9:F1} GB/s");

            var load = Stopwatch.StartNew();
            var maxTokens = runs.Max(r => Math.Max(r.Batch * Math.Min(r.Prompt, chunk), r.Batch));
            using var engine = DeepseekModel.Load(parseResult.GetValue(model)!, new ModelLoadOptions
            {
                Weights = EngineOptions.Weights(parseResult, weights),
                Threads = threadCount,
                MaxBatchTokens = Math.Max(maxTokens, chunk),
                MaxBatchSequences = Math.Max(64, runs.Max(r => r.Batch)),
                Simd = level,
                Progress = TerminalProgressBar.For(parseResult, "loading model"),
            });
            var config = engine.Config;
            output.WriteLine($"model: {config.ArchitectureName}, {config.NumHiddenLayers} layers, {engine.ParameterCount / 1e9:F2} B parameters, " +
                             $"weights {engine.WeightBytes / 1e9:F2} GB in memory, loaded in {load.Elapsed.TotalSeconds:F1} s");

            var benchmark = new EngineBenchmark(engine, threadCount, bandwidth, chunk, output);
            foreach (var run in runs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                benchmark.Run(run);
            }

            return 0;
        });
        return command;
    }
}
