using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Tests.TestSupport;
using Xunit;

namespace Maas.Engine.Tests.Kernels;

/// <summary>The threaded SIMD attention over the paged cache equals the scalar reference, and the scalar one equals a direct softmax.</summary>
public sealed unsafe class LatentAttentionKernelTests
{
    public static TheoryData<SimdLevel, KvCacheElementType, int, int, int> Cases()
    {
        var data = new TheoryData<SimdLevel, KvCacheElementType, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            data.Add(level, KvCacheElementType.F32, 0, 1, 3);
            data.Add(level, KvCacheElementType.F32, 19, 1, 7);
            data.Add(level, KvCacheElementType.F32, 5, 13, 3);
            data.Add(level, KvCacheElementType.Bf16, 0, 7, 1);
            data.Add(level, KvCacheElementType.Bf16, 30, 3, 9);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CpuBackend_attention_matches_scalar(SimdLevel level, KvCacheElementType type, int startPosition, int rows, int heads)
    {
        ModelConfig config = SmallConfig();
        int latent = config.KvLoraRank, rope = config.QkRopeHeadDim;
        using var cache = new PagedKvCache(config, 16, type, pageSize: 4);
        KvSequence sequence = cache.CreateSequence();
        int total = startPosition + rows;
        cache.Reserve(sequence, total);
        var rng = new Random(startPosition * 31 + rows);
        float[] latents = KernelTestData.Random(rng, total * latent);
        float[] ropes = KernelTestData.Random(rng, total * rope);
        fixed (float* pl = latents)
        fixed (float* pr = ropes)
        {
            for (int t = 0; t < total; t++)
            {
                cache.Write(sequence, 1, t, pl + t * latent, pr + t * rope);
            }
        }

        int ropeStride = heads * 20;
        float[] qLat = KernelTestData.Random(rng, rows * heads * latent);
        float[] qRope = KernelTestData.Random(rng, rows * ropeStride);
        var expected = new float[qLat.Length];
        var actual = new float[qLat.Length];
        using var cpu = new CpuBackend(2, level);
        using var scalar = new ScalarBackend();
        fixed (float* pq = qLat)
        fixed (float* pqr = qRope)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            var args = new LatentAttentionArgs
            {
                Cache = cache,
                Sequence = sequence,
                Layer = 1,
                StartPosition = startPosition,
                Rows = rows,
                Heads = heads,
                QueryLatent = pq,
                QueryRope = pqr,
                QueryRopeRowStride = ropeStride,
                QueryRopeHeadStride = 20,
                Scale = 0.3f,
                Output = pe,
            };
            scalar.LatentAttention([args]);
            var second = args;
            second.Output = pa;
            // The same sequence twice in one dispatch (as two batch entries would be) must give the same rows.
            var third = args;
            float[] again = new float[qLat.Length];
            fixed (float* pg = again)
            {
                third.Output = pg;
                cpu.LatentAttention([second, third]);
            }

            Assert.Equal(actual, again);
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5);

        // Direct check of the last row, last head with the (BF16-rounded where applicable) cached values.
        int r = rows - 1, h = heads - 1, count = startPosition + rows;
        var scores = new double[count];
        for (int t = 0; t < count; t++)
        {
            double s = 0;
            for (int i = 0; i < latent; i++)
            {
                s += qLat[(r * heads + h) * latent + i] * Stored(latents[t * latent + i], type);
            }

            for (int i = 0; i < rope; i++)
            {
                s += qRope[r * ropeStride + h * 20 + i] * Stored(ropes[t * rope + i], type);
            }

            scores[t] = s * 0.3;
        }

        double max = scores.Max();
        double sum = scores.Sum(s => Math.Exp(s - max));
        for (int i = 0; i < latent; i += 7)
        {
            double o = 0;
            for (int t = 0; t < count; t++)
            {
                o += Math.Exp(scores[t] - max) / sum * Stored(latents[t * latent + i], type);
            }

            Assert.Equal(o, expected[(r * heads + h) * latent + i], 1e-4);
        }
    }

    private static float Stored(float value, KvCacheElementType type) =>
        type == KvCacheElementType.F32 ? value : Bf16.Decode(Bf16.Encode(value));

    internal static ModelConfig SmallConfig() => ModelConfig.Parse("""
        {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 32, "hidden_size": 16, "intermediate_size": 32,
         "num_hidden_layers": 2, "num_attention_heads": 3, "q_lora_rank": null, "kv_lora_rank": 37,
         "qk_nope_head_dim": 8, "qk_rope_head_dim": 6, "v_head_dim": 8}
        """);
}
