using Maas.Engine.KvCache;
using Maas.Engine.Model;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Tools.Golden;
using Xunit;

namespace Maas.Engine.Tests.Model;

public sealed class ModelBehaviourTests
{
    private static GoldenFolder First => GoldenFolder.Load(GoldenFolder.All()[0]);

    [Fact]
    public void Decode_step_does_not_allocate_on_the_calling_thread()
    {
        GoldenFolder golden = First;
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 2 });
        using PagedKvCache cache = model.CreateKvCache(256, KvCacheElementType.Bf16);
        KvSequence a = cache.CreateSequence();
        KvSequence b = cache.CreateSequence();
        ForwardBatch batch = model.CreateBatch();
        var logits = new float[4 * model.VocabSize];
        batch.Add(a, golden.Cases[1].Tokens[..20]);
        batch.Add(b, golden.Cases[1].Tokens[..3]);
        model.Forward(batch, cache, logits);

        long before = 0;
        for (int step = 0; step < 5; step++)
        {
            if (step == 2)
            {
                // Steps 0-1 warm up (JIT, lazily sized scratch); from here on nothing may allocate.
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            batch.Clear();
            batch.Add(a, golden.Cases[1].Tokens.AsSpan(20 + step, 1));
            batch.Add(b, golden.Cases[1].Tokens.AsSpan(3 + step, 1));
            model.Forward(batch, cache, logits);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(25, a.Length);
    }

    [Fact]
    public void Tied_embeddings_use_the_embedding_matrix_as_lm_head()
    {
        GoldenFolder golden = First;
        byte[]? embedding = null;
        string untied = CheckpointRewriter.Rewrite(golden.Path, "untied", (w, name, dtype, shape, bytes) =>
        {
            if (name == "model.embed_tokens.weight")
            {
                embedding = bytes;
                CheckpointRewriter.Copy(w, "lm_head.weight", dtype, shape, bytes);
            }

            if (name != "lm_head.weight")
            {
                CheckpointRewriter.Copy(w, name, dtype, shape, bytes);
            }
        });
        string tied = CheckpointRewriter.Rewrite(golden.Path, "tied", (w, name, dtype, shape, bytes) =>
        {
            if (name != "lm_head.weight")
            {
                CheckpointRewriter.Copy(w, name, dtype, shape, bytes);
            }
        }, config => config.Replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true"));
        try
        {
            Assert.NotNull(embedding);
            using DeepseekModel a = DeepseekModel.Load(untied, new ModelLoadOptions { Threads = 1 });
            using DeepseekModel b = DeepseekModel.Load(tied, new ModelLoadOptions { Threads = 1 });
            Assert.True(b.Config.TieWordEmbeddings);
            using PagedKvCache cacheA = a.CreateKvCache(64, KvCacheElementType.F32);
            using PagedKvCache cacheB = b.CreateKvCache(64, KvCacheElementType.F32);
            int[] tokens = golden.Cases[0].Tokens;
            float[] expected = GoldenRunner.Prefill(a, cacheA, tokens);
            float[] actual = GoldenRunner.Prefill(b, cacheB, tokens);
            Assert.Equal(expected, actual);
            // And it is not the original untied head.
            Assert.True(LogitComparison.Compare(actual, golden.Cases[0].Logits, golden.Cases[0].Vocab).MaxAbs > 0.1);
        }
        finally
        {
            Directory.Delete(untied, true);
            Directory.Delete(tied, true);
        }
    }

    [Fact]
    public void Exhausted_cache_throws_before_changing_any_sequence()
    {
        GoldenFolder golden = First;
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 1 });
        using PagedKvCache cache = new(model.Config, 2, KvCacheElementType.F32, pageSize: 16);
        KvSequence a = cache.CreateSequence();
        KvSequence b = cache.CreateSequence();
        ForwardBatch batch = model.CreateBatch();
        batch.Add(a, golden.Cases[1].Tokens[..16]);
        batch.Add(b, golden.Cases[1].Tokens[..17]);
        Assert.Throws<KvCacheExhaustedException>(() => model.Forward(batch, cache, new float[2 * model.VocabSize]));
        Assert.Equal(0, a.Length);
        Assert.Equal(0, b.Length);

        // After freeing b's reservation the same step for a alone works.
        cache.Free(b);
        batch.Clear();
        batch.Add(a, golden.Cases[1].Tokens[..16]);
        model.Forward(batch, cache, new float[model.VocabSize]);
        Assert.Equal(16, a.Length);
    }

    [Fact]
    public void Invalid_token_and_context_overflow_are_rejected()
    {
        GoldenFolder golden = First;
        using DeepseekModel model = DeepseekModel.Load(golden.Path, new ModelLoadOptions { Threads = 1, MaxContextLength = 8 });
        using PagedKvCache cache = model.CreateKvCache(64, KvCacheElementType.F32);
        ForwardBatch batch = model.CreateBatch();
        batch.Add(cache.CreateSequence(), [model.VocabSize]);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => model.Forward(batch, cache, new float[model.VocabSize])).Message);
        batch.Clear();
        batch.Add(cache.CreateSequence(), new int[9]);
        Assert.Contains("context length", Assert.Throws<ArgumentException>(() => model.Forward(batch, cache, new float[model.VocabSize])).Message);
    }
}
