using System.CommandLine;
using System.Diagnostics;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;

namespace Maas.Cli.Commands;

/// <summary>`maas model init-random`: writes a random checkpoint with a real tokenizer, for demos and benchmarks.</summary>
public static class ModelInitRandomCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = "tiny | deepseek-v2-lite | deepseek-v3", Required = true };
        shape.AcceptOnlyFromAmong([.. CheckpointShape.Names]);
        var layers = new Option<int>("--layers") { Description = "Number of layers (default: the shape's own)" };
        var dtype = new Option<string>("--dtype") { Description = "bf16 | fp8", DefaultValueFactory = _ => "bf16" };
        dtype.AcceptOnlyFromAmong("bf16", "fp8");
        var output = new Option<string>("--out") { Description = "Output folder", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1234 };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder with tokenizer.json and tokenizer_config.json (default: the DeepSeek-V3 tokenizer shipped with maas)" };

        var command = new Command("init-random", "Write a random checkpoint (Hugging Face layout) for demos and benchmarks; its text is not meaningful")
        {
            shape, layers, dtype, output, seed, tokenizer,
        };
        command.SetMaasAction((parseResult, console, cancellationToken) =>
        {
            var folder = Path.GetFullPath(parseResult.GetValue(output)!);
            var tokenizerFolder = parseResult.GetValue(tokenizer) ?? ShippedTokenizerFolder();
            var precision = parseResult.GetValue(dtype) == "fp8" ? WeightPrecision.Fp8 : WeightPrecision.Bf16;
            var watch = Stopwatch.StartNew();
            RandomCheckpointWriter.Write(folder, parseResult.GetValue(shape)!, parseResult.GetValue(layers), precision, tokenizerFolder, parseResult.GetValue(seed), TerminalProgressBar.For(parseResult, "writing model.safetensors"));
            var bytes = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;
            Console.WriteLine($"wrote {folder} ({bytes / 1e9:F2} GB, {watch.Elapsed.TotalSeconds:F1} s). Random weights: the model's text is not meaningful.");
            return 0;
        });
        return command;
    }

    /// <summary>The tokenizer files copied next to the maas binary at build time.</summary>
    public static string ShippedTokenizerFolder() => Path.Combine(AppContext.BaseDirectory, "assets", "deepseek-v3-tokenizer");
}
