using System.Runtime.CompilerServices;
using Maas.Engine.KvCache;

namespace Maas.Engine.Kernels;

/// <summary>Absorbed MLA for one (row, head): scores over the cached latents, softmax, latent-weighted sum.</summary>
internal static unsafe class LatentAttentionKernel
{
    /// <param name="scores">Scratch of at least StartPosition + row + 1 floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AttendOne(in LatentAttentionArgs a, int row, int head, float* scores, bool simd)
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
                score = simd
                    ? SimdKernels.Dot(qLat, e, latentDim) + SimdKernels.Dot(qPe, e + latentDim, ropeDim)
                    : ScalarKernels.Dot(qLat, e, latentDim) + ScalarKernels.Dot(qPe, e + latentDim, ropeDim);
            }
            else
            {
                ushort* e = (ushort*)entry;
                score = simd
                    ? SimdKernels.DotBf16(qLat, e, latentDim) + SimdKernels.DotBf16(qPe, e + latentDim, ropeDim)
                    : ScalarKernels.DotBf16(qLat, e, latentDim) + ScalarKernels.DotBf16(qPe, e + latentDim, ropeDim);
            }

            scores[t] = score * a.Scale;
        }

        if (simd)
        {
            SimdKernels.Softmax(scores, count);
        }
        else
        {
            ScalarKernels.Softmax(scores, count);
        }

        new Span<float>(output, latentDim).Clear();
        for (int t = 0; t < count; t++)
        {
            byte* entry = cache.EntryAt(a.Sequence, a.Layer, t);
            if (f32)
            {
                if (simd)
                {
                    SimdKernels.Axpy(output, scores[t], (float*)entry, latentDim);
                }
                else
                {
                    ScalarKernels.Axpy(output, scores[t], (float*)entry, latentDim);
                }
            }
            else if (simd)
            {
                SimdKernels.AxpyBf16(output, scores[t], (ushort*)entry, latentDim);
            }
            else
            {
                ScalarKernels.AxpyBf16(output, scores[t], (ushort*)entry, latentDim);
            }
        }
    }

    /// <summary>
    /// SIMD attention for heads [firstHead, firstHead + headCount) of one row. The latent is shared by
    /// all heads (MQA-like), so each cached entry is read once for the whole head group, not per head,
    /// and a BF16 entry is widened once for 4 heads at a time.
    /// </summary>
    /// <param name="scores">Scratch of at least headCount × (StartPosition + row + 1) floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AttendHeads(in LatentAttentionArgs a, int row, int firstHead, int headCount, float* scores)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim;
        int ropeDim = cache.RopeDim;
        int count = a.StartPosition + row + 1;
        bool f32 = cache.ElementType == KvCacheElementType.F32;
        float* qLat = a.QueryLatent + ((long)row * a.Heads + firstHead) * latentDim;
        float* qPe = a.QueryRope + (long)row * a.QueryRopeRowStride + (long)firstHead * a.QueryRopeHeadStride;
        float* output = a.Output + ((long)row * a.Heads + firstHead) * latentDim;

        float* four = stackalloc float[8];
        for (int t = 0; t < count; t++)
        {
            byte* entry = cache.EntryAt(a.Sequence, a.Layer, t);
            int h = 0;
            // BF16 entries: 4 heads per widened entry (Dot4Bf16), then single heads.
            for (; !f32 && h + 4 <= headCount; h += 4)
            {
                SimdKernels.Dot4Bf16((ushort*)entry, qLat + (long)h * latentDim, latentDim, latentDim, four);
                SimdKernels.Dot4Bf16((ushort*)entry + latentDim, qPe + (long)h * a.QueryRopeHeadStride, a.QueryRopeHeadStride, ropeDim, four + 4);
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
                    ? SimdKernels.Dot(ql, (float*)entry, latentDim) + SimdKernels.Dot(qp, (float*)entry + latentDim, ropeDim)
                    : SimdKernels.DotBf16(ql, (ushort*)entry, latentDim) + SimdKernels.DotBf16(qp, (ushort*)entry + latentDim, ropeDim);
                scores[(long)h * count + t] = score * a.Scale;
            }
        }

        for (int h = 0; h < headCount; h++)
        {
            SimdKernels.Softmax(scores + (long)h * count, count);
        }

        new Span<float>(output, headCount * latentDim).Clear();
        for (int t = 0; t < count; t++)
        {
            byte* entry = cache.EntryAt(a.Sequence, a.Layer, t);
            int h = 0;
            for (; !f32 && h + 4 <= headCount; h += 4)
            {
                for (int j = 0; j < 4; j++)
                {
                    four[j] = scores[(long)(h + j) * count + t];
                }

                SimdKernels.AxpyBf16x4(output + (long)h * latentDim, latentDim, four, (ushort*)entry, latentDim);
            }

            for (; h < headCount; h++)
            {
                float p = scores[(long)h * count + t];
                if (f32)
                {
                    SimdKernels.Axpy(output + (long)h * latentDim, p, (float*)entry, latentDim);
                }
                else
                {
                    SimdKernels.AxpyBf16(output + (long)h * latentDim, p, (ushort*)entry, latentDim);
                }
            }
        }
    }
}
