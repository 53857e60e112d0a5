using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>Single-threaded reference backend built from <see cref="ScalarKernels"/>; tests compare CpuBackend with it.</summary>
internal sealed unsafe class ScalarBackend : IComputeBackend
{
    private float[] _scores = new float[256];

    public string Name => "scalar";

    public KernelPaths Paths => KernelPaths.Scalar;

    public void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride) =>
        ScalarKernels.MatMul(x, xStride, rows, w, y, yStride);

    public void MatMulHeads(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride)
    {
        for (int h = 0; h < w.Length; h++)
        {
            ScalarKernels.MatMul(x + h * xHeadStride, xStride, rows, w[h], y + h * yHeadStride, yStride);
        }
    }

    public void MatMulHeadsInputMajor(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride)
    {
        for (int h = 0; h < w.Length; h++)
        {
            ScalarKernels.MatMulInputMajor(x + h * xHeadStride, xStride, rows, w[h], y + h * yHeadStride, yStride, 0, w[h].Cols);
        }
    }

    public void MatMulGroups(ReadOnlySpan<MatMulGroup> groups)
    {
        foreach (MatMulGroup g in groups)
        {
            ScalarKernels.MatMul(g.X, g.XStride, g.Rows, g.W, g.Y, g.YStride);
        }
    }

    public void RmsNorm(float* x, int xStride, int rows, float* weight, int dim, float eps, float* y, int yStride)
    {
        for (int t = 0; t < rows; t++)
        {
            ScalarKernels.RmsNorm(x + (long)t * xStride, weight, eps, y + (long)t * yStride, dim);
        }
    }

    public void SiluMul(float* gate, float* up, int n) => ScalarKernels.SiluMul(gate, up, n);

    public void Add(float* y, float* x, int n) => ScalarKernels.Add(y, x, n);

    public void Axpy(float* y, float a, float* x, int n) => ScalarKernels.Axpy(y, a, x, n);

    public void Softmax(float* x, int n) => ScalarKernels.Softmax(x, n);

    public void Rope(float* x, int xStride, int rows, int heads, int headStride, int dim, float* cos, float* sin) =>
        ScalarKernels.RopeRows(x, xStride, rows, heads, headStride, dim, cos, sin);

    public void LatentAttention(ReadOnlySpan<LatentAttentionArgs> sequences)
    {
        foreach (LatentAttentionArgs args in sequences)
        {
            AttendSequence(args);
        }
    }

    private void AttendSequence(in LatentAttentionArgs args)
    {
        int needed = args.StartPosition + args.Rows;
        if (_scores.Length < needed)
        {
            _scores = new float[Math.Max(needed, _scores.Length * 2)];
        }

        fixed (float* scores = _scores)
        {
            for (int r = 0; r < args.Rows; r++)
            {
                for (int h = 0; h < args.Heads; h++)
                {
                    LatentAttentionKernel.AttendOne(args, r, h, scores);
                }
            }
        }
    }

    public void ExpandedAttention(ReadOnlySpan<ExpandedAttentionArgs> sequences)
    {
        foreach (ExpandedAttentionArgs args in sequences)
        {
            for (int h = 0; h < args.Heads; h++)
            {
                ExpandedHead(args, h);
            }
        }
    }

    /// <summary>The expanded form literally: k_t = [W_UK·c_t ; k_pe_t] and v_t = W_UV·c_t per position, then softmax(q·k·scale)·v per row.</summary>
    private static void ExpandedHead(in ExpandedAttentionArgs a, int head)
    {
        PagedKvCache cache = a.Cache;
        int latentDim = cache.LatentDim, ropeDim = cache.RopeDim;
        WeightMatrix keyUp = a.KeyUp[head], valueUp = a.ValueUp[head];
        int nope = keyUp.Rows, v = valueUp.Cols, keys = a.StartPosition + a.Rows;
        var entry = new float[cache.EntryDim];
        var k = new float[keys * (nope + ropeDim)];
        var values = new float[keys * v];
        float[] uk = ReadAll(keyUp), uv = ReadAll(valueUp);
        for (int t = 0; t < keys; t++)
        {
            cache.ReadEntry(a.Sequence, a.Layer, t, entry);
            for (int d = 0; d < nope; d++)
            {
                float sum = 0;
                for (int l = 0; l < latentDim; l++)
                {
                    sum += uk[d * latentDim + l] * entry[l];
                }

                k[t * (nope + ropeDim) + d] = sum;
            }

            for (int d = 0; d < ropeDim; d++)
            {
                k[t * (nope + ropeDim) + nope + d] = entry[latentDim + d];
            }

            for (int d = 0; d < v; d++)
            {
                float sum = 0;
                for (int l = 0; l < latentDim; l++)
                {
                    sum += entry[l] * uv[l * v + d];
                }

                values[t * v + d] = sum;
            }
        }

        var scores = new float[keys];
        fixed (float* ps = scores)
        fixed (float* pk = k)
        fixed (float* pv = values)
        {
            for (int r = 0; r < a.Rows; r++)
            {
                int count = a.StartPosition + r + 1;
                float* q = a.Query + (long)r * a.QueryRowStride + (long)head * a.QueryHeadStride;
                for (int t = 0; t < count; t++)
                {
                    ps[t] = ScalarKernels.Dot(q, pk + (long)t * (nope + ropeDim), nope + ropeDim) * a.Scale;
                }

                ScalarKernels.Softmax(ps, count);
                float* output = a.Output + (long)r * a.OutputRowStride + (long)head * v;
                new Span<float>(output, v).Clear();
                for (int t = 0; t < count; t++)
                {
                    ScalarKernels.Axpy(output, ps[t], pv + (long)t * v, v);
                }
            }
        }
    }

    /// <summary>A matrix's values as f32, row-major (the slices are f32 or BF16).</summary>
    private static float[] ReadAll(WeightMatrix w)
    {
        var values = new float[w.Rows * w.Cols];
        for (int r = 0; r < w.Rows; r++)
        {
            w.ReadRow(r, values.AsSpan(r * w.Cols, w.Cols));
        }

        return values;
    }

    public void Dispose()
    {
    }
}
