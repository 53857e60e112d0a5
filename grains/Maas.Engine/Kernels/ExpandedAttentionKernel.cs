using Maas.Engine.KvCache;

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

    /// <summary>Floats of per-thread scratch one head of a run of <paramref name="keys"/> positions needs.</summary>
    public static long ScratchFloats(int keys, int nope, int rope, int v)
    {
        long padded = PaddedKeys(keys);
        return (nope + rope) * padded + padded * v + QueryBlock * padded + QueryBlock * (nope + rope);
    }

    /// <summary>
    /// Gathers a sequence's cached entries of one layer, positions [0, count), into f32 buffers padded with zeros to
    /// <see cref="PaddedKeys"/>(count) positions: latents [padded, latentDim] (row-major, for V), latentsT
    /// [latentDim, padded] and ropeT [ropeDim, padded] (transposed, for the key products).
    /// </summary>
    public static void Gather(FloatKernels k, PagedKvCache cache, KvSequence sequence, int layer, int count, float* latents, float* latentsT, float* ropeT)
    {
        int latentDim = cache.LatentDim, ropeDim = cache.RopeDim, entryDim = cache.EntryDim;
        int padded = PaddedKeys(count);
        new Span<float>(latents + (long)count * latentDim, (padded - count) * latentDim).Clear();
        for (int i = 0; i < latentDim; i++)
        {
            new Span<float>(latentsT + (long)i * padded + count, padded - count).Clear();
        }

        for (int i = 0; i < ropeDim; i++)
        {
            new Span<float>(ropeT + (long)i * padded + count, padded - count).Clear();
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
                    latentsT[(long)i * padded + t] = entry[i];
                }

                for (int i = 0; i < ropeDim; i++)
                {
                    ropeT[(long)i * padded + t] = entry[latentDim + i];
                }
            }
        }
    }

    /// <summary>
    /// One head of <paramref name="a"/>: writes its v outputs of every row. <paramref name="latents"/>, <paramref name="latentsT"/>
    /// and <paramref name="ropeT"/> come from <see cref="Gather"/> over StartPosition + Rows positions.
    /// </summary>
    public static void AttendHead(FloatKernels k, in ExpandedAttentionArgs a, int head, float* latents, float* latentsT, float* ropeT, float* scratch)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim, ropeDim = cache.RopeDim;
        int nope = a.KeyUp[head].Rows, v = a.ValueUp[head].Cols, qDim = nope + ropeDim;
        int keys = PaddedKeys(a.StartPosition + a.Rows);

        // Scratch: keysT [nope + rope, keys], values [keys, v], scores [QueryBlock, keys], query block [QueryBlock, nope + rope].
        float* keysT = scratch;
        float* values = keysT + (long)qDim * keys;
        float* scores = values + (long)keys * v;
        float* query = scores + (long)QueryBlock * keys;

        k.MatMulInputMajor((float*)a.KeyUp[head].Data, latentDim, nope, latentsT, latentDim, keys, keysT, keys, 0, keys);
        new ReadOnlySpan<float>(ropeT, ropeDim * keys).CopyTo(new Span<float>(keysT + (long)nope * keys, ropeDim * keys));
        k.MatMulInputMajor(latents, latentDim, keys, (float*)a.ValueUp[head].Data, latentDim, v, values, v, 0, v);

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

            k.MatMulInputMajor(query, qDim, rows, keysT, qDim, keys, scores, visible, 0, visible);
            for (int r = 0; r < rows; r++)
            {
                float* row = scores + (long)r * visible;
                int count = a.StartPosition + r0 + r + 1;
                k.Softmax(row, count);
                new Span<float>(row + count, visible - count).Clear();
            }

            float* output = a.Output + (long)r0 * a.OutputRowStride + (long)head * v;
            k.MatMulInputMajor(scores, visible, rows, values, visible, v, output, a.OutputRowStride, 0, v);
        }
    }
}
