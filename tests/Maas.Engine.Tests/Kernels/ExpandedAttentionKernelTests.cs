using Maas.Checkpoints;
using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.KvCache;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Weights;
using Xunit;

namespace Maas.Engine.Tests.Kernels;

/// <summary>
/// MLA's expanded (non-absorbed) attention: the blocked CPU kernels equal the scalar reference on every SIMD level,
/// and the reference equals the absorbed form followed by the value up-projection (the identity that lets the model
/// pick either form per sequence).
/// </summary>
public sealed unsafe class ExpandedAttentionKernelTests
{
    private const int Nope = 8, V = 8, QueryHeadStride = 20;

    public static TheoryData<SimdLevel, KvCacheElementType, WeightFormat, int, int, int> Cases()
    {
        var data = new TheoryData<SimdLevel, KvCacheElementType, WeightFormat, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            data.Add(level, KvCacheElementType.F32, WeightFormat.F32, 0, 1, 3);
            data.Add(level, KvCacheElementType.F32, WeightFormat.Bf16, 5, 13, 3);
            data.Add(level, KvCacheElementType.Bf16, WeightFormat.F32, 0, 70, 2);
            // More than one query block (64 rows) and a key count past one padding unit (64).
            data.Add(level, KvCacheElementType.Bf16, WeightFormat.Bf16, 30, 100, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CpuBackend_expanded_attention_matches_the_scalar_reference(SimdLevel level, KvCacheElementType type, WeightFormat slices, int startPosition, int rows, int heads)
    {
        using var setup = new Setup(type, startPosition, rows, heads, slices);
        var expected = new float[rows * heads * V];
        var actual = new float[rows * heads * V];
        using var cpu = new CpuBackend(2, level);
        using var scalar = new ScalarBackend();
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            scalar.ExpandedAttention([setup.Args(pe)]);
            // The same sequence twice in one dispatch (as two batch entries would be) must give the same rows.
            var again = new float[actual.Length];
            fixed (float* pg = again)
            {
                cpu.ExpandedAttention([setup.Args(pa), setup.Args(pg)]);
            }

            Assert.Equal(actual, again);
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, $"max relative diff {KernelTestData.MaxRelativeDiff(actual, expected):E2}");
        Assert.Contains(actual, x => x != 0);
    }

    [Theory]
    [InlineData(KvCacheElementType.F32, 0, 6, 3)]
    [InlineData(KvCacheElementType.Bf16, 17, 9, 2)]
    public void Expanded_form_equals_absorbed_form_with_value_up_projection(KvCacheElementType type, int startPosition, int rows, int heads)
    {
        using var setup = new Setup(type, startPosition, rows, heads);
        int latent = setup.Cache.LatentDim;
        var expanded = new float[rows * heads * V];
        var absorbedValues = new float[rows * heads * V];
        var queryLatent = new float[rows * heads * latent];
        var outputLatent = new float[rows * heads * latent];
        using var scalar = new ScalarBackend();
        fixed (float* pe = expanded)
        fixed (float* pv = absorbedValues)
        fixed (float* pql = queryLatent)
        fixed (float* pol = outputLatent)
        {
            ExpandedAttentionArgs args = setup.Args(pe);
            scalar.ExpandedAttention([args]);

            // Absorbed: q_lat = W_UKᵀ·q_nope per head, attention over the latents, then v = W_UV·o_lat.
            scalar.MatMulHeadsInputMajor(args.Query, args.QueryRowStride, QueryHeadStride, rows, setup.KeyUp, pql, heads * latent, latent);
            scalar.LatentAttention([new LatentAttentionArgs
            {
                Cache = setup.Cache,
                Sequence = setup.Sequence,
                Layer = 1,
                StartPosition = startPosition,
                Rows = rows,
                Heads = heads,
                QueryLatent = pql,
                QueryRope = args.Query + Nope,
                QueryRopeRowStride = args.QueryRowStride,
                QueryRopeHeadStride = QueryHeadStride,
                Scale = args.Scale,
                Output = pol,
            }]);
            scalar.MatMulHeadsInputMajor(pol, heads * latent, latent, rows, setup.ValueUp, pv, heads * V, V);
        }

        Assert.True(KernelTestData.MaxRelativeDiff(expanded, absorbedValues) < 1e-5, $"max relative diff {KernelTestData.MaxRelativeDiff(expanded, absorbedValues):E2}");
    }

    /// <summary>A cache with random latents for positions [0, start + rows), random queries and per-head W_UK, W_UVᵀ.</summary>
    private sealed class Setup : IDisposable
    {
        private readonly float[] _query;
        private readonly System.Runtime.InteropServices.GCHandle _pin;

        public Setup(KvCacheElementType type, int startPosition, int rows, int heads, WeightFormat slices = WeightFormat.F32)
        {
            ModelConfig config = LatentAttentionKernelTests.SmallConfig();
            int latent = config.KvLoraRank, rope = config.QkRopeHeadDim;
            Cache = new PagedKvCache(config, 64, type, pageSize: 4);
            Sequence = Cache.CreateSequence();
            int total = startPosition + rows;
            Cache.Reserve(Sequence, total);
            var rng = new Random(startPosition * 31 + rows + heads);
            float[] latents = KernelTestData.Random(rng, total * latent);
            float[] ropes = KernelTestData.Random(rng, total * rope);
            fixed (float* pl = latents)
            fixed (float* pr = ropes)
            {
                for (int t = 0; t < total; t++)
                {
                    Cache.Write(Sequence, 1, t, pl + t * latent, pr + t * rope);
                }
            }

            KeyUp = Enumerable.Range(0, heads).Select(_ => WeightMatrix.FromF32(Nope, latent, slices, KernelTestData.Random(rng, Nope * latent, 0.3f))).ToArray();
            ValueUp = Enumerable.Range(0, heads).Select(_ => WeightMatrix.FromF32(latent, V, slices, KernelTestData.Random(rng, latent * V, 0.3f))).ToArray();
            StartPosition = startPosition;
            Rows = rows;
            Heads = heads;
            _query = KernelTestData.Random(rng, rows * heads * QueryHeadStride);
            _pin = System.Runtime.InteropServices.GCHandle.Alloc(_query, System.Runtime.InteropServices.GCHandleType.Pinned);
        }

        public PagedKvCache Cache { get; }

        public KvSequence Sequence { get; }

        public WeightMatrix[] KeyUp { get; }

        public WeightMatrix[] ValueUp { get; }

        public int StartPosition { get; }

        public int Rows { get; }

        public int Heads { get; }

        public ExpandedAttentionArgs Args(float* output) => new()
        {
            Cache = Cache,
            Sequence = Sequence,
            Layer = 1,
            StartPosition = StartPosition,
            Rows = Rows,
            Heads = Heads,
            Query = (float*)_pin.AddrOfPinnedObject(),
            QueryRowStride = Heads * QueryHeadStride,
            QueryHeadStride = QueryHeadStride,
            KeyUp = KeyUp,
            ValueUp = ValueUp,
            Scale = 0.3f,
            Output = output,
            OutputRowStride = Heads * V,
        };

        public void Dispose()
        {
            _pin.Free();
            foreach (WeightMatrix m in KeyUp.Concat(ValueUp))
            {
                m.Dispose();
            }

            Cache.Dispose();
        }
    }
}
