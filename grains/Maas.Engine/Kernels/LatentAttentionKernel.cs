using Maas.Engine.KvCache;

namespace Maas.Engine.Kernels;

/// <summary>Absorbed MLA for one (row, head): scores over the cached latents, softmax, latent-weighted sum.</summary>
internal static unsafe class LatentAttentionKernel
{
    /// <param name="scores">Scratch of at least StartPosition + row + 1 floats.</param>
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
}
