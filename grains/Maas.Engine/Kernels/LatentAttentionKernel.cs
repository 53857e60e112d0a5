using System.Runtime.CompilerServices;
using Maas.Engine.KvCache;

namespace Maas.Engine.Kernels;

/// <summary>Absorbed MLA for one (row, head): scores over the cached latents, softmax, latent-weighted sum.</summary>
internal static unsafe class LatentAttentionKernel
{
    /// <param name="scores">Scratch of at least StartPosition + row + 1 floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AttendOne(in LatentAttentionArgs a, int row, int head, float* scores)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim;
        int ropeDim = cache.RopeDim;
        int count = a.StartPosition + row + 1;
        float* qLat = a.QueryLatent + ((long)row * a.Heads + head) * latentDim;
        float* qPe = a.QueryRope + (long)row * a.QueryRopeRowStride + (long)head * a.QueryRopeHeadStride;
        float* output = qLat - a.QueryLatent + a.Output;
        bool f32 = cache.ElementType == KvCacheElementType.F32;

        for (int t = 0; t < count; t++)
        {
            byte* entry = cache.EntryAt(a.Sequence, a.Layer, t);
            float score;
            if (f32)
            {
                float* e = (float*)entry;
                score = ScalarKernels.Dot(qLat, e, latentDim) + ScalarKernels.Dot(qPe, e + latentDim, ropeDim);
            }
            else
            {
                ushort* e = (ushort*)entry;
                score = ScalarKernels.DotBf16(qLat, e, latentDim) + ScalarKernels.DotBf16(qPe, e + latentDim, ropeDim);
            }

            scores[t] = score * a.Scale;
        }

        ScalarKernels.Softmax(scores, count);

        new Span<float>(output, latentDim).Clear();
        for (int t = 0; t < count; t++)
        {
            byte* entry = cache.EntryAt(a.Sequence, a.Layer, t);
            if (f32)
            {
                ScalarKernels.Axpy(output, scores[t], (float*)entry, latentDim);
            }
            else
            {
                ScalarKernels.AxpyBf16(output, scores[t], (ushort*)entry, latentDim);
            }
        }
    }

    /// <summary>
    /// SIMD attention for heads [firstHead, firstHead + headCount) of one row, walking the sequence's pages (no
    /// lookup per position). The latent is shared by all heads (MQA-like), so each cached entry is read once for the
    /// whole head group: scores widen a BF16 entry once per 4 heads (Dot4Bf16), and the value sum runs per page as
    /// an input-major product (the group's probabilities broadcast into a register tile of latent outputs), so the
    /// outputs are not re-read and re-written for every position.
    /// </summary>
    /// <param name="scores">Scratch of at least headCount × (StartPosition + row + 1) floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AttendHeads(FloatKernels k, in LatentAttentionArgs a, int row, int firstHead, int headCount, float* scores)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim;
        int ropeDim = cache.RopeDim;
        int entryDim = cache.EntryDim;
        int pageSize = cache.PageSize;
        int count = a.StartPosition + row + 1;
        bool f32 = cache.ElementType == KvCacheElementType.F32;
        float* qLat = a.QueryLatent + ((long)row * a.Heads + firstHead) * latentDim;
        float* qPe = a.QueryRope + (long)row * a.QueryRopeRowStride + (long)firstHead * a.QueryRopeHeadStride;
        float* output = a.Output + ((long)row * a.Heads + firstHead) * latentDim;
        int[] pages = a.Sequence.Pages;

        float* four = stackalloc float[8];
        for (int first = 0; first < count; first += pageSize)
        {
            byte* page = cache.Entry(pages[first / pageSize], a.Layer, 0);
            int slots = Math.Min(pageSize, count - first);
            for (int s = 0; s < slots; s++)
            {
                int t = first + s;
                byte* entry = page + (long)s * entryDim * cache.ElementSize;
                int h = 0;
                // BF16 entries: 4 heads per widened entry (Dot4Bf16), then single heads.
                for (; !f32 && h + 4 <= headCount; h += 4)
                {
                    k.Dot4Bf16((ushort*)entry, qLat + (long)h * latentDim, latentDim, latentDim, four);
                    k.Dot4Bf16((ushort*)entry + latentDim, qPe + (long)h * a.QueryRopeHeadStride, a.QueryRopeHeadStride, ropeDim, four + 4);
                    for (int j = 0; j < 4; j++)
                    {
                        scores[(long)(h + j) * count + t] = (four[j] + four[4 + j]) * a.Scale;
                    }
                }

                for (; h < headCount; h++)
                {
                    float* ql = qLat + (long)h * latentDim;
                    float* qp = qPe + (long)h * a.QueryRopeHeadStride;
                    float score = f32
                        ? k.Dot(ql, (float*)entry, latentDim) + k.Dot(qp, (float*)entry + latentDim, ropeDim)
                        : k.DotBf16(ql, (ushort*)entry, latentDim) + k.DotBf16(qp, (ushort*)entry + latentDim, ropeDim);
                    scores[(long)h * count + t] = score * a.Scale;
                }
            }
        }

        for (int h = 0; h < headCount; h++)
        {
            k.Softmax(scores + (long)h * count, count);
        }

        new Span<float>(output, headCount * latentDim).Clear();
        for (int first = 0; first < count; first += pageSize)
        {
            byte* page = cache.Entry(pages[first / pageSize], a.Layer, 0);
            int slots = Math.Min(pageSize, count - first);
            k.AccumulateInputMajor(scores + first, count, headCount, page, !f32, entryDim, slots, output, latentDim, latentDim);
        }
    }
}
