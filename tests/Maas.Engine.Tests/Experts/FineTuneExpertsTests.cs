using Maas.Checkpoints;
using Maas.Engine.Experts;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Checkpoints;
using Maas.Engine.Tools.Golden;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Engine.Tests.Experts;

/// <summary>
/// Tenant fine-tunes (ESFT replacement experts) in a batch: a fine-tuned sequence computes what a checkpoint with those
/// experts replaced computes, base sequences beside it are unchanged, and the weights live until the last sequence ends.
/// </summary>
public sealed class FineTuneExpertsTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    [Theory]
    [MemberData(nameof(GoldenFolder.Theories), MemberType = typeof(GoldenFolder))]
    public void Three_fine_tunes_and_the_base_in_one_batch_equal_merged_checkpoints_run_alone(string folderName)
    {
        GoldenFolder golden = GoldenFolder.Load(folderName);
        ModelConfig config = ModelConfig.Load(golden.Path);
        int[] tokens = golden.Cases[^1].Tokens;
        string[] fineTunes =
        [
            WriteFineTune(golden.Path, RandomFineTuneWriter.SpreadExperts(config, 0.25, seed: 1), 11, "model."),
            WriteFineTune(golden.Path, RandomFineTuneWriter.SpreadExperts(config, 0.25, seed: 2), 12, ""),
            WriteFineTune(golden.Path, RandomFineTuneWriter.SpreadExperts(config, 0.5, seed: 3), 13, "model."),
        ];

        // Each sequence: a prompt chunk (all logits) then two decode steps, in one batch with every other sequence.
        int[][] prompts = [tokens[..24], tokens[5..30], tokens[10..27], tokens[40..61]];
        int[][] decodes = [tokens[70..72], tokens[72..74], tokens[74..76], tokens[76..78]];
        var options = new ModelLoadOptions { Threads = 2 };
        float[][] batched;
        using (DeepseekModel model = DeepseekModel.Load(golden.Path, options))
        {
            var experts = fineTunes.Select((f, i) => FineTuneExperts.Load(f, model, $"ft{i}")).ToArray();
            FineTuneExperts?[] plan = [null, experts[0], experts[1], experts[2]];
            batched = Run(model, plan, prompts, decodes);
            foreach (FineTuneExperts e in experts)
            {
                e.Dispose();
            }
        }

        for (int s = 0; s < prompts.Length; s++)
        {
            string folder = s == 0 ? golden.Path : Merge(golden.Path, fineTunes[s - 1]);
            using DeepseekModel merged = DeepseekModel.Load(folder, options);
            float[] alone = Run(merged, [null], [prompts[s]], [decodes[s]])[0];
            LogitComparison cmp = LogitComparison.Compare(batched[s], alone, merged.VocabSize);
            output.WriteLine($"sequence {s} ({(s == 0 ? "base" : $"fine-tune {s}")}): batched vs merged alone max abs {cmp.MaxAbs:E2}");
            Assert.True(cmp.MaxAbs <= Tolerance, $"sequence {s}: {cmp.MaxAbs:E2}");
            Assert.True(cmp.AllArgmaxAgree);
        }

        // The replacements change the answer (else the comparison above proves nothing).
        using (DeepseekModel model = DeepseekModel.Load(golden.Path, options))
        {
            for (int s = 1; s < prompts.Length; s++)
            {
                float[] baseLogits = Run(model, [null], [prompts[s]], [decodes[s]])[0];
                LogitComparison cmp = LogitComparison.Compare(batched[s], baseLogits, model.VocabSize);
                output.WriteLine($"fine-tune {s} vs base: max abs {cmp.MaxAbs:E2}");
                Assert.True(cmp.MaxAbs > 1e-2, $"fine-tune {s} did not change the logits ({cmp.MaxAbs:E2})");
            }
        }
    }

    [Fact]
    public void Disposed_fine_tune_keeps_its_weights_until_the_last_sequence_releases_them()
    {
        GoldenFolder golden = GoldenFolder.Load("deepseek2-tiny-a");
        string folder = WriteFineTune(golden.Path, new Dictionary<int, int[]> { [1] = [0, 1], [2] = [3] }, 21, "model.");
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 1 });
        FineTuneExperts experts = FineTuneExperts.Load(folder, model, "ft");
        Assert.Equal(3, experts.ExpertCount);
        Assert.True(experts.ByteLength > 0);

        Assert.True(experts.TryAcquire());
        experts.Dispose();
        Assert.False(experts.IsFreed);
        Assert.False(experts.TryAcquire());

        // The running sequence still computes with it.
        using PagedKvCache cache = model.CreateKvCache(64, KvCacheElementType.F32);
        ForwardBatch batch = model.CreateBatch();
        batch.Add(cache.CreateSequence(), golden.Cases[^1].Tokens[..8], fineTune: experts);
        model.Forward(batch, cache, new float[model.VocabSize]);

        experts.Release();
        Assert.True(experts.IsFreed);
        batch.Clear();
        batch.Add(cache.CreateSequence(), golden.Cases[^1].Tokens[..8], fineTune: experts);
        Assert.Throws<ArgumentException>(() => model.Forward(batch, cache, new float[model.VocabSize]));
    }

    /// <summary>Per sequence: all logits of its prompt, then the logits of each decode token; every step batches all sequences.</summary>
    private static float[][] Run(DeepseekModel model, FineTuneExperts?[] fineTunes, int[][] prompts, int[][] decodes)
    {
        int vocab = model.VocabSize;
        using PagedKvCache cache = model.CreateKvCache(512, KvCacheElementType.F32);
        var sequences = prompts.Select(_ => cache.CreateSequence()).ToArray();
        var results = prompts.Select(p => new List<float>()).ToArray();
        ForwardBatch batch = model.CreateBatch();
        for (int step = 0; step <= decodes[0].Length; step++)
        {
            batch.Clear();
            var entries = new int[prompts.Length];
            for (int s = 0; s < prompts.Length; s++)
            {
                entries[s] = step == 0
                    ? batch.Add(sequences[s], prompts[s], allLogits: true, fineTune: fineTunes[s])
                    : batch.Add(sequences[s], decodes[s].AsSpan(step - 1, 1), fineTune: fineTunes[s]);
            }

            var logits = new float[batch.LogitRowCount * vocab];
            model.Forward(batch, cache, logits);
            for (int s = 0; s < prompts.Length; s++)
            {
                results[s].AddRange(logits.AsSpan(batch.LogitsRowStart(entries[s]) * vocab, batch.LogitsRowCount(entries[s]) * vocab).ToArray());
            }
        }

        return results.Select(r => r.ToArray()).ToArray();
    }

    private static string WriteFineTune(string baseFolder, Dictionary<int, int[]> experts, int seed, string prefix)
    {
        string folder = CheckpointRewriter.TempFolder("fine-tune");
        RandomFineTuneWriter.Write(baseFolder, experts, folder, seed, prefix);
        return folder;
    }

    /// <summary>The base checkpoint with the fine-tune's experts written over the base ones: the static reference.</summary>
    private static string Merge(string baseFolder, string fineTuneFolder)
    {
        string folder = CheckpointRewriter.TempFolder("merged");
        FineTuneMerger.Merge(baseFolder, fineTuneFolder, folder);
        return folder;
    }
}
