using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// MLA prefill attention in the expanded form, one head at a time, as blocked matrix products on contiguous
/// buffers (no page lookups inside): Kᵀ = W_UK·Cᵀ and V = C·W_UVᵀ for all cached positions, then for blocks of
/// query rows S = (q·Scale)·[Kᵀ; K_peᵀ] over the keys the block can see, a causal softmax per row, and out = S·V.
/// All products run on <see cref="FloatKernels.MatMulInputMajor"/> (outputs along the vector lanes, no horizontal sums).
/// </summary>
internal static unsafe class ExpandedAttentionKernel
{
    /// <summary>Query rows per block: the block's scores (QueryBlock × keys) stay in L2 for the value product.</summary>
    public const int QueryBlock = 64;

    /// <summary>
    /// Key counts are padded to a multiple of this (zero latents), so every product covers whole register tiles
    /// (64 outputs with AVX-512) instead of leaving a scalar tail.
    /// </summary>
    public const int KeyAlignment = 64;

    public static int PaddedKeys(int keys) => (keys + KeyAlignment - 1) / KeyAlignment * KeyAlignment;

    /// <summary>
    /// Row stride of the transposed buffers ([dims, keys]): one cache line more than the padded key count, so a column
    /// strip's rows fall in every L1 set. A stride of a multiple of 256 bytes put a strip's rows in a few sets, and an
    /// 8-way L1 then evicted the strip between the tiles that re-read it.
    /// </summary>
    public static int KeyStride(int keys) => PaddedKeys(keys) + StridePadding;

    /// <summary>Floats added to power-of-two-ish row strides (one cache line), see <see cref="KeyStride"/>.</summary>
    private const int StridePadding = 16;

    /// <summary>Floats of per-thread scratch one head of a run of <paramref name="keys"/> positions needs.</summary>
    public static long ScratchFloats(int keys, int nope, int rope, int v, int latent)
    {
        long padded = PaddedKeys(keys), stride = KeyStride(keys);
        return (nope + rope) * stride + padded * (v + StridePadding) + QueryBlock * stride + QueryBlock * (nope + rope) + (long)nope * latent;
    }

    /// <summary>Floats <see cref="Gather"/> writes for <paramref name="keys"/> positions.</summary>
    public static long GatheredFloats(int keys, int latentDim, int ropeDim) =>
        (long)PaddedKeys(keys) * latentDim + (long)KeyStride(keys) * (latentDim + ropeDim);

    /// <summary>
    /// Gathers a sequence's cached entries of one layer, positions [0, count), into f32 buffers padded with zeros to
    /// <see cref="PaddedKeys"/>(count) positions: latents [padded, latentDim] (row-major, for V), then latentsT
    /// [latentDim, stride] and ropeT [ropeDim, stride] (transposed, for the key products; stride <see cref="KeyStride"/>).
    /// Returns latentsT; ropeT follows it.
    /// </summary>
    public static float* Gather(FloatKernels k, PagedKvCache cache, KvSequence sequence, int layer, int count, float* latents)
    {
        int latentDim = cache.LatentDim, ropeDim = cache.RopeDim, entryDim = cache.EntryDim;
        int padded = PaddedKeys(count), stride = KeyStride(count);
        float* latentsT = latents + (long)padded * latentDim;
        float* ropeT = latentsT + (long)latentDim * stride;
        new Span<float>(latents + (long)count * latentDim, (padded - count) * latentDim).Clear();
        for (int i = 0; i < latentDim; i++)
        {
            new Span<float>(latentsT + (long)i * stride + count, stride - count).Clear();
        }

        for (int i = 0; i < ropeDim; i++)
        {
            new Span<float>(ropeT + (long)i * stride + count, stride - count).Clear();
        }

        bool f32 = cache.ElementType == KvCacheElementType.F32;
        float* entry = stackalloc float[entryDim];
        for (int page = 0; page * cache.PageSize < count; page++)
        {
            byte* first = cache.Entry(sequence.Pages[page], layer, 0);
            int slots = Math.Min(cache.PageSize, count - page * cache.PageSize);
            for (int s = 0; s < slots; s++)
            {
                int t = page * cache.PageSize + s;
                float* row = latents + (long)t * latentDim;
                if (f32)
                {
                    float* e = (float*)first + (long)s * entryDim;
                    new ReadOnlySpan<float>(e, entryDim).CopyTo(new Span<float>(entry, entryDim));
                }
                else
                {
                    k.WidenBf16Row((ushort*)first + (long)s * entryDim, entryDim, entry);
                }

                new ReadOnlySpan<float>(entry, latentDim).CopyTo(new Span<float>(row, latentDim));
                for (int i = 0; i < latentDim; i++)
                {
                    latentsT[(long)i * stride + t] = entry[i];
                }

                for (int i = 0; i < ropeDim; i++)
                {
                    ropeT[(long)i * stride + t] = entry[latentDim + i];
                }
            }
        }

        return latentsT;
    }

    /// <summary>
    /// One head of <paramref name="a"/>: writes its v outputs of every row. <paramref name="latents"/> is what
    /// <see cref="Gather"/> wrote for StartPosition + Rows positions, <paramref name="latentsT"/> what it returned.
    /// </summary>
    public static void AttendHead(FloatKernels k, in ExpandedAttentionArgs a, int head, float* latents, float* latentsT, float* scratch)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim, ropeDim = cache.RopeDim;
        int nope = a.KeyUp[head].Rows, v = a.ValueUp[head].Cols, qDim = nope + ropeDim;
        int keys = PaddedKeys(a.StartPosition + a.Rows), stride = KeyStride(a.StartPosition + a.Rows), valueStride = v + StridePadding;
        float* ropeT = latentsT + (long)latentDim * stride;

        // Scratch: keysT [nope + rope, stride], values [keys, v + padding], scores [QueryBlock, visible + padding],
        // query block [QueryBlock, nope + rope], W_UK widened to f32 [nope, latent] when it is held in BF16.
        float* keysT = scratch;
        float* values = keysT + (long)qDim * stride;
        float* scores = values + (long)keys * valueStride;
        float* query = scores + (long)QueryBlock * stride;
        WeightMatrix keyUp = a.KeyUp[head], valueUp = a.ValueUp[head];
        float* keyUpRows = (float*)keyUp.Data;
        if (keyUp.Format == WeightFormat.Bf16)
        {
            // W_UK is the broadcast operand of the key product here: widened once per head.
            keyUpRows = query + (long)QueryBlock * qDim;
            k.WidenBf16Row((ushort*)keyUp.Data, nope * latentDim, keyUpRows);
        }

        k.MatMulInputMajor(keyUpRows, latentDim, nope, latentsT, latentDim, stride, keysT, stride, 0, keys);
        new ReadOnlySpan<float>(ropeT, ropeDim * stride).CopyTo(new Span<float>(keysT + (long)nope * stride, ropeDim * stride));
        if (valueUp.Format == WeightFormat.Bf16)
        {
            k.MatMulInputMajorBf16(latents, latentDim, keys, (ushort*)valueUp.Data, latentDim, v, values, valueStride, 0, v);
        }
        else
        {
            k.MatMulInputMajor(latents, latentDim, keys, (float*)valueUp.Data, latentDim, v, values, valueStride, 0, v);
        }

        for (int r0 = 0; r0 < a.Rows; r0 += QueryBlock)
        {
            int rows = Math.Min(QueryBlock, a.Rows - r0);
            // Causal: the block's last row sees the most keys; earlier rows are masked below.
            int visible = PaddedKeys(a.StartPosition + r0 + rows);
            for (int r = 0; r < rows; r++)
            {
                float* q = a.Query + (long)(r0 + r) * a.QueryRowStride + (long)head * a.QueryHeadStride;
                float* target = query + (long)r * qDim;
                for (int i = 0; i < qDim; i++)
                {
                    target[i] = q[i] * a.Scale;
                }
            }

            int scoreStride = visible + StridePadding;
            k.MatMulInputMajor(query, qDim, rows, keysT, qDim, stride, scores, scoreStride, 0, visible);
            for (int r = 0; r < rows; r++)
            {
                float* row = scores + (long)r * scoreStride;
                int count = a.StartPosition + r0 + r + 1;
                k.Softmax(row, count);
                new Span<float>(row + count, visible - count).Clear();
            }

            float* output = a.Output + (long)r0 * a.OutputRowStride + (long)head * v;
            k.MatMulInputMajor(scores, scoreStride, rows, values, visible, valueStride, output, a.OutputRowStride, 0, v);
        }
    }
}
