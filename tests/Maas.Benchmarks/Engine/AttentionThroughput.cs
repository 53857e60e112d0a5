using System.Diagnostics;
using Maas.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Benchmarks.Engine;

/// <summary>
/// `attention`: one layer of MLA attention on DeepSeek-V2-Lite sizes (16 heads, latent 512, rope 64, BF16 cache):
/// decode (absorbed form, batch 1 and 16) at several context lengths, and prompt chunks (expanded form and, for
/// comparison, absorbed). Random values: the cost does not depend on them.
/// </summary>
public static unsafe class AttentionThroughput
{
    private const int Heads = 16, Latent = 512, Rope = 64, Nope = 128, V = 128;

    public static int Run(string[] args)
    {
        int threads = ArgValue(args, "--threads", 2);
        using var backend = new CpuBackend(threads);
        Console.WriteLine($"backend: {backend.Name} ({backend.Paths})");
        ModelConfig config = ModelConfig.Parse($$"""
            {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 32, "hidden_size": 2048, "intermediate_size": 32,
             "num_hidden_layers": 1, "num_attention_heads": {{Heads}}, "q_lora_rank": null, "kv_lora_rank": {{Latent}},
             "qk_nope_head_dim": {{Nope}}, "qk_rope_head_dim": {{Rope}}, "v_head_dim": {{V}}, "max_position_embeddings": 32768}
            """);
        var random = new Random(1);
        WeightMatrix[] keyUp = Enumerable.Range(0, Heads).Select(_ => WeightMatrix.FromF32(Nope, Latent, WeightFormat.F32, RandomFloats(Nope * Latent, random))).ToArray();
        WeightMatrix[] valueUp = Enumerable.Range(0, Heads).Select(_ => WeightMatrix.FromF32(Latent, V, WeightFormat.F32, RandomFloats(Latent * V, random))).ToArray();
        foreach (int context in new[] { 32, 512, 2048, 8192 })
        {
            foreach (int batch in new[] { 1, 16 })
            {
                Decode(backend, config, context, batch, random);
            }
        }

        foreach ((int start, int rows) in new[] { (0, 512), (1536, 512), (0, 2048) })
        {
            Prefill(backend, config, start, rows, keyUp, valueUp, random);
        }

        // Where the forms cross (DeepseekModel picks a form per entry by its multiply-add count).
        foreach ((int start, int rows) in new[] { (0, 64), (0, 128), (0, 256), (1024, 64), (1024, 128), (1024, 256) })
        {
            Prefill(backend, config, start, rows, keyUp, valueUp, random);
            PrefillAbsorbed(backend, config, start, rows, keyUp, valueUp, random);
        }

        return 0;
    }

    private static void Decode(CpuBackend backend, ModelConfig config, int context, int batch, Random random)
    {
        using PagedKvCache cache = PagedKvCache.ForTokens(config, batch * (context + 32), KvCacheElementType.Bf16);
        var sequences = new KvSequence[batch];
        for (int s = 0; s < batch; s++)
        {
            sequences[s] = cache.CreateSequence();
            cache.Reserve(sequences[s], context);
            cache.AppendRandomEntries(sequences[s], context, s);
        }

        float[] queryLatent = RandomFloats(batch * Heads * Latent, random);
        float[] queryRope = RandomFloats(batch * Heads * Rope, random);
        var output = new float[batch * Heads * Latent];
        var args = new LatentAttentionArgs[batch];
        fixed (float* ql = queryLatent)
        fixed (float* qr = queryRope)
        fixed (float* o = output)
        {
            for (int s = 0; s < batch; s++)
            {
                args[s] = new LatentAttentionArgs
                {
                    Cache = cache,
                    Sequence = sequences[s],
                    Layer = 0,
                    StartPosition = context - 1,
                    Rows = 1,
                    Heads = Heads,
                    QueryLatent = ql + s * Heads * Latent,
                    QueryRope = qr + s * Heads * Rope,
                    QueryRopeRowStride = Heads * Rope,
                    QueryRopeHeadStride = Rope,
                    Scale = 0.05f,
                    Output = o + s * Heads * Latent,
                };
            }

            int repeats = Math.Max(3, 200_000 / (context * batch));
            double seconds = Time(() => backend.LatentAttention(args), repeats);
            double bytes = (double)batch * context * cache.EntryDim * 2;
            Console.WriteLine($"decode attention, context {context,5}, batch {batch,2}: {seconds * 1e3,7:F3} ms per layer, " +
                              $"{bytes / seconds / 1e9,5:F1} GB/s of cache, {2.0 * batch * Heads * context * (Latent + Rope + Latent) / seconds / 1e9,5:F1} GFLOP/s");
        }
    }

    private static void Prefill(CpuBackend backend, ModelConfig config, int start, int rows, WeightMatrix[] keyUp, WeightMatrix[] valueUp, Random random)
    {
        int keys = start + rows;
        using PagedKvCache cache = PagedKvCache.ForTokens(config, keys, KvCacheElementType.Bf16);
        KvSequence sequence = cache.CreateSequence();
        cache.Reserve(sequence, keys);
        cache.AppendRandomEntries(sequence, keys, 7);
        const int qHead = Nope + Rope;
        float[] query = RandomFloats(rows * Heads * qHead, random);
        var output = new float[rows * Heads * V];
        fixed (float* q = query)
        fixed (float* o = output)
        {
            var args = new ExpandedAttentionArgs
            {
                Cache = cache,
                Sequence = sequence,
                Layer = 0,
                StartPosition = start,
                Rows = rows,
                Heads = Heads,
                Query = q,
                QueryRowStride = Heads * qHead,
                QueryHeadStride = qHead,
                KeyUp = keyUp,
                ValueUp = valueUp,
                Scale = 0.05f,
                Output = o,
                OutputRowStride = Heads * V,
            };
            double seconds = Time(() => backend.ExpandedAttention([args]), 2);
            double macs = (double)Heads * keys * Latent * (Nope + V) + (double)Heads * rows * (start + (rows + 1) / 2.0) * (qHead + V);
            Console.WriteLine($"prefill attention (expanded), {rows} rows after {start}: {seconds * 1e3,8:F1} ms per layer, {2 * macs / seconds / 1e9,5:F1} GFLOP/s");
        }
    }

    /// <summary>The same chunk in the absorbed form, with its two per-head absorption products (q_lat and the value up-projection).</summary>
    private static void PrefillAbsorbed(CpuBackend backend, ModelConfig config, int start, int rows, WeightMatrix[] keyUp, WeightMatrix[] valueUp, Random random)
    {
        int keys = start + rows;
        using PagedKvCache cache = PagedKvCache.ForTokens(config, keys, KvCacheElementType.Bf16);
        KvSequence sequence = cache.CreateSequence();
        cache.Reserve(sequence, keys);
        cache.AppendRandomEntries(sequence, keys, 7);
        const int qHead = Nope + Rope;
        float[] query = RandomFloats(rows * Heads * qHead, random);
        var queryLatent = new float[rows * Heads * Latent];
        var outputLatent = new float[rows * Heads * Latent];
        var output = new float[rows * Heads * V];
        fixed (float* q = query)
        fixed (float* ql = queryLatent)
        fixed (float* ol = outputLatent)
        fixed (float* o = output)
        {
            var args = new LatentAttentionArgs
            {
                Cache = cache,
                Sequence = sequence,
                Layer = 0,
                StartPosition = start,
                Rows = rows,
                Heads = Heads,
                QueryLatent = ql,
                QueryRope = q + Nope,
                QueryRopeRowStride = Heads * qHead,
                QueryRopeHeadStride = qHead,
                Scale = 0.05f,
                Output = ol,
            };
            float* qp = q, qlp = ql, olp = ol, op = o;
            double seconds = Time(
                () =>
                {
                    backend.MatMulHeadsInputMajor(qp, Heads * qHead, qHead, rows, keyUp, qlp, Heads * Latent, Latent);
                    backend.LatentAttention([args]);
                    backend.MatMulHeadsInputMajor(olp, Heads * Latent, Latent, rows, valueUp, op, Heads * V, V);
                },
                2);
            Console.WriteLine($"prefill attention (absorbed), {rows} rows after {start}: {seconds * 1e3,8:F1} ms per layer");
        }
    }

    private static double Time(Action action, int repeats)
    {
        action();
        long start = Stopwatch.GetTimestamp();
        for (int r = 0; r < repeats; r++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds / repeats;
    }

    private static float[] RandomFloats(int n, Random random)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = random.NextSingle() * 2 - 1;
        }

        return values;
    }

    private static int ArgValue(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int value) ? value : fallback;
    }
}
