using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Engine.Tests.Golden;

/// <summary>Logits of every golden folder and case match the reference within tolerance.json, for both paths.</summary>
public sealed class GoldenLogitsTests(ITestOutputHelper output)
{
    public static TheoryData<string, WeightPrecision, bool> Configurations()
    {
        var data = new TheoryData<string, WeightPrecision, bool>();
        foreach (string folder in GoldenFolder.All())
        {
            foreach (WeightPrecision precision in new[] { WeightPrecision.Native, WeightPrecision.F32, WeightPrecision.Bf16 })
            {
                data.Add(folder, precision, false);
            }

            data.Add(folder, WeightPrecision.Native, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Prefill_and_decode_match_golden_logits(string folderName, WeightPrecision precision, bool scalarKernels)
    {
        GoldenFolder folder = GoldenFolder.Load(folderName);
        Assert.NotEmpty(folder.Cases);
        using DeepseekModel model = DeepseekModel.Load(folder.Path, new ModelLoadOptions
        {
            Weights = precision,
            Threads = 2,
            UseScalarKernels = scalarKernels,
        });
        using PagedKvCache cache = model.CreateKvCache(1024, KvCacheElementType.F32);
        var failures = new List<string>();
        for (int i = 0; i < folder.Cases.Count; i++)
        {
            GoldenCase c = folder.Cases[i];
            int decode = GoldenRunner.DecodeCount(c.Tokens.Length);
            foreach ((string path, float[] logits) in new[]
            {
                ("prefill", GoldenRunner.Prefill(model, cache, c.Tokens)),
                ($"prefill+decode{decode}", GoldenRunner.PrefillThenDecode(model, cache, c.Tokens, decode)),
            })
            {
                LogitComparison cmp = LogitComparison.Compare(logits, c.Logits, c.Vocab);
                output.WriteLine($"{folderName} case{i} ({c.Tokens.Length} tokens) {precision}{(scalarKernels ? " scalar" : string.Empty)} {path}: max abs diff {cmp.MaxAbs:E2}, argmax {cmp.ArgmaxAgreements}/{cmp.Rows}");
                if (cmp.MaxAbs > folder.MaxAbs || (folder.SameArgmax && !cmp.AllArgmaxAgree))
                {
                    failures.Add($"case{i} {path}: max abs {cmp.MaxAbs:E2} (limit {folder.MaxAbs:E1}), argmax {cmp.ArgmaxAgreements}/{cmp.Rows}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
