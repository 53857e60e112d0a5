using Maas.Engine.Experts;
using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Golden;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Engine.Tests.Model;

/// <summary>A sequence's logits do not depend on what else is in its batch.</summary>
public sealed class BatchingTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(GoldenFolder.Theories), MemberType = typeof(GoldenFolder))]
    public void Mixed_prefill_and_decode_batch_equals_each_sequence_alone(string folderName)
    {
        GoldenFolder golden = GoldenFolder.Load(folderName);
        int[] tokens = golden.Cases[^1].Tokens;
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 2 });
        int vocab = model.VocabSize;

        // Histories already in the cache before the batched step, and each sequence's new tokens in that step.
        (int[] History, int[] Step, bool All)[] plan =
        [
            ([], tokens[..20], true),                  // fresh prefill, all positions
            (tokens[30..37], tokens[37..38], false),   // decode one token after a 7-token prefill
            (tokens[40..45], tokens[45..57], true),    // a prefill chunk continuing at position 5
            (tokens[60..93], tokens[93..94], false),   // decode at position 33 (crosses page boundaries)
            ([], tokens[3..4], false),                 // a one-token prompt
        ];

        var alone = new float[plan.Length][];
        using (PagedKvCache cache = model.CreateKvCache(512, KvCacheElementType.F32))
        {
            for (int s = 0; s < plan.Length; s++)
            {
                KvSequence sequence = cache.CreateSequence();
                ForwardBatch batch = model.CreateBatch();
                if (plan[s].History.Length > 0)
                {
                    batch.Add(sequence, plan[s].History);
                    model.Forward(batch, cache, new float[vocab]);
                    batch.Clear();
                }

                batch.Add(sequence, plan[s].Step, plan[s].All);
                alone[s] = new float[batch.LogitRowCount * vocab];
                model.Forward(batch, cache, alone[s]);
                cache.Free(sequence);
            }
        }

        using (PagedKvCache cache = model.CreateKvCache(512, KvCacheElementType.F32))
        {
            var sequences = new KvSequence[plan.Length];
            ForwardBatch batch = model.CreateBatch();
            for (int s = 0; s < plan.Length; s++)
            {
                sequences[s] = cache.CreateSequence();
                if (plan[s].History.Length > 0)
                {
                    batch.Add(sequences[s], plan[s].History);
                }
            }

            // The histories themselves go in as one batch, too.
            model.Forward(batch, cache, new float[batch.LogitRowCount * vocab]);
            batch.Clear();
            var entries = new int[plan.Length];
            for (int s = plan.Length - 1; s >= 0; s--)
            {
                entries[s] = batch.Add(sequences[s], plan[s].Step, plan[s].All);
            }

            var logits = new float[batch.LogitRowCount * vocab];
            model.Forward(batch, cache, logits);
            for (int s = 0; s < plan.Length; s++)
            {
                int start = batch.LogitsRowStart(entries[s]);
                int count = batch.LogitsRowCount(entries[s]);
                Assert.Equal(plan[s].All ? plan[s].Step.Length : 1, count);
                LogitComparison cmp = LogitComparison.Compare(logits.AsSpan(start * vocab, count * vocab), alone[s], vocab);
                output.WriteLine($"sequence {s}: batched vs alone max abs {cmp.MaxAbs:E2}");
                Assert.True(cmp.MaxAbs <= 1e-5, $"sequence {s}: batched vs alone differ by {cmp.MaxAbs:E2}");
                Assert.True(cmp.AllArgmaxAgree);
                Assert.Equal(plan[s].History.Length + plan[s].Step.Length, sequences[s].Length);
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenFolder.Theories), MemberType = typeof(GoldenFolder))]
    public void Sequence_expert_host_serves_its_experts_once_per_layer_and_step(string folderName)
    {
        GoldenFolder golden = GoldenFolder.Load(folderName);
        int[] tokens = golden.Cases[1].Tokens;
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 2 });
        int vocab = model.VocabSize;
        using PagedKvCache cache = model.CreateKvCache(256, KvCacheElementType.F32);
        ForwardBatch batch = model.CreateBatch();

        KvSequence plain = cache.CreateSequence();
        batch.Add(plain, tokens, allLogits: true);
        var expected = new float[tokens.Length * vocab];
        model.Forward(batch, cache, expected);

        // A stand-in for a tenant's fine-tune grain: serves the even experts with the base weights.
        var remote = new RecordingExpertHost(model.LocalExperts, expert => expert % 2 == 0);
        KvSequence tenant = cache.CreateSequence();
        KvSequence other = cache.CreateSequence();
        batch.Clear();
        batch.Add(other, tokens[..5], allLogits: true);
        int entry = batch.Add(tenant, tokens, allLogits: true, expertHost: remote);
        var logits = new float[batch.LogitRowCount * vocab];
        model.Forward(batch, cache, logits);

        int moeLayers = Enumerable.Range(0, model.Config.NumHiddenLayers).Count(model.Config.IsMoeLayer);
        Assert.Equal(moeLayers, remote.Calls);
        Assert.True(remote.Assignments > 0);
        Assert.True(remote.RowsOutsideSequence == 0, "the remote host only received rows of its own sequence");
        LogitComparison cmp = LogitComparison.Compare(logits.AsSpan(batch.LogitsRowStart(entry) * vocab, tokens.Length * vocab), expected, vocab);
        output.WriteLine($"with remote host: max abs {cmp.MaxAbs:E2}, {remote.Assignments} assignments in {remote.Calls} calls");
        Assert.True(cmp.MaxAbs <= 1e-5);
    }

    private sealed class RecordingExpertHost(LocalExpertHost inner, Func<int, bool> serves) : IExpertHost
    {
        public int Calls { get; private set; }

        public int Assignments { get; private set; }

        public int RowsOutsideSequence { get; private set; }

        public bool Serves(int layer, int expert) => serves(expert);

        public void Accumulate(int layer, ReadOnlySpan<float> hidden, int hiddenSize, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output)
        {
            Calls++;
            Assignments += assignments.Length;
            foreach (ExpertAssignment a in assignments)
            {
                // The tenant's rows come after the 5 rows of the other sequence.
                if (a.Row < 5 || !serves(a.Expert))
                {
                    RowsOutsideSequence++;
                }
            }

            inner.Accumulate(layer, hidden, hiddenSize, assignments, output);
        }
    }
}
