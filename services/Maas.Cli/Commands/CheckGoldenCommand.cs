using System.CommandLine;
using Maas.Checkpoints;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Tools.Golden;

namespace Maas.Cli.Commands;

/// <summary>`maas check-golden &lt;folder&gt;`: runs a golden folder's cases as one prefill and as prefill + decode and compares logits.</summary>
public static class CheckGoldenCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "Golden folder: config.json, model.safetensors, cases.json, caseK.f32, tolerance.json" };
        var weights = new Option<string>("--weights")
        {
            Description = "Weight precision in memory: native, f32, bf16, fp8 or q8",
            DefaultValueFactory = _ => "native",
        };
        weights.AcceptOnlyFromAmong("native", "f32", "bf16", "fp8", "q8");
        var threads = new Option<int>("--threads") { Description = "Compute threads (0: one per core)", DefaultValueFactory = _ => 0 };
        var command = new Command("check-golden", "Compare the engine's logits with a golden reference folder (F32 KV cache)")
        {
            folder,
            weights,
            threads,
        };
        command.SetMaasAction((parseResult, output, cancellationToken) => Run(
            parseResult.GetValue(folder)!,
            parseResult.GetValue(weights)!,
            parseResult.GetValue(threads)));
        return command;
    }

    private static int Run(string folder, string weights, int threads)
    {
        WeightPrecision precision = weights switch
        {
            "f32" => WeightPrecision.F32,
            "bf16" => WeightPrecision.Bf16,
            "fp8" => WeightPrecision.Fp8,
            "q8" => WeightPrecision.Q8,
            _ => WeightPrecision.Native,
        };

        IReadOnlyList<GoldenCase> cases;
        (double maxAbs, bool sameArgmax) tolerance;
        DeepseekModel model;
        try
        {
            cases = GoldenFolderReader.ReadCases(folder);
            tolerance = GoldenFolderReader.ReadTolerance(folder);
            int longest = cases.Count == 0 ? 1 : cases.Max(c => c.Tokens.Length);
            model = DeepseekModel.Load(folder, new ModelLoadOptions
            {
                Weights = precision,
                Threads = threads,
                MaxBatchTokens = Math.Max(512, longest),
            });
        }
        catch (Exception e) when (e is CheckpointException or IOException or InvalidDataException or System.Text.Json.JsonException or NotSupportedException)
        {
            Console.Error.WriteLine($"check-golden: {e.Message}");
            return 2;
        }

        using (model)
        {
            Console.WriteLine($"{model.Config.ArchitectureName} from {folder}: weights {weights}, backend {model.BackendName}, tolerance max_abs {tolerance.maxAbs:E1}{(tolerance.sameArgmax ? " + same argmax" : string.Empty)}");
            int longest = cases.Count == 0 ? 1 : cases.Max(c => c.Tokens.Length);
            using PagedKvCache cache = model.CreateKvCache(longest + PagedKvCache.DefaultPageSize, KvCacheElementType.F32);
            bool ok = true;
            foreach (GoldenCase c in cases)
            {
                if (c.Vocab != model.VocabSize)
                {
                    Console.WriteLine($"{c.Name}: vocab {c.Vocab} does not match the model's {model.VocabSize}  FAIL");
                    ok = false;
                    continue;
                }

                int decode = SequenceRunner.DecodeCount(c.Tokens.Length);
                ok &= Report(c, "prefill", SequenceRunner.Prefill(model, cache, c.Tokens), tolerance);
                ok &= Report(c, $"prefill+decode{decode}", SequenceRunner.PrefillThenDecode(model, cache, c.Tokens, decode), tolerance);
            }

            Console.WriteLine(ok ? "PASS" : "FAIL");
            return ok ? 0 : 1;
        }
    }

    private static bool Report(GoldenCase c, string path, float[] logits, (double MaxAbs, bool SameArgmax) tolerance)
    {
        LogitComparison comparison = LogitComparison.Compare(logits, c.Logits, c.Vocab);
        bool pass = comparison.MaxAbs <= tolerance.MaxAbs && (!tolerance.SameArgmax || comparison.AllArgmaxAgree);
        Console.WriteLine($"{c.Name} ({comparison.Rows} tokens) {path,-18} max abs diff {comparison.MaxAbs:E2}  argmax {comparison.ArgmaxAgreements}/{comparison.Rows}  {(pass ? "ok" : "FAIL")}");
        return pass;
    }
}
