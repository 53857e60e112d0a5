using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// SIMD kernels on the engine's own <see cref="ComputeThreadPool"/>. MatMul splits output rows
/// into chunks; each weight row is read once and multiplied with every token row of the batch.
/// </summary>
internal sealed unsafe class CpuBackend : IComputeBackend
{
    private const int MinRowsPerChunk = 16;

    private readonly ComputeThreadPool _pool;
    private readonly MatMulJob _matMul;
    private readonly AttentionJob _attention;
    private readonly NativeBuffer<float>?[] _scratch;

    public CpuBackend(int threads)
    {
        _pool = new ComputeThreadPool(threads);
        _scratch = new NativeBuffer<float>?[_pool.ThreadCount];
        _matMul = new MatMulJob(this);
        _attention = new AttentionJob(this);
    }

    public string Name => SimdKernels.IsAccelerated ? $"cpu-avx512x{_pool.ThreadCount}" : $"cpu-scalar-x{_pool.ThreadCount}";

    public int ThreadCount => _pool.ThreadCount;

    /// <summary>Per-thread scratch of at least <paramref name="floats"/>; grows (rarely) on the calling thread before dispatch.</summary>
    private void EnsureScratch(int floats)
    {
        for (int i = 0; i < _scratch.Length; i++)
        {
            if (_scratch[i] is null || _scratch[i]!.Length < floats)
            {
                _scratch[i]?.Dispose();
                _scratch[i] = new NativeBuffer<float>(Math.Max(floats, 1024));
            }
        }
    }

    public void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride)
    {
        if (rows == 0)
        {
            return;
        }

        if (w.Format == WeightFormat.Fp8Block128)
        {
            EnsureScratch(w.Cols);
        }

        int perChunk = Math.Max(MinRowsPerChunk, (w.Rows + _pool.ThreadCount * 4 - 1) / (_pool.ThreadCount * 4));
        _matMul.Set(x, xStride, rows, w, y, yStride, perChunk);
        _pool.Run(_matMul, (w.Rows + perChunk - 1) / perChunk);
    }

    public void RmsNorm(float* x, int xStride, int rows, float* weight, int dim, float eps, float* y, int yStride)
    {
        for (int t = 0; t < rows; t++)
        {
            SimdKernels.RmsNorm(x + (long)t * xStride, weight, eps, y + (long)t * yStride, dim);
        }
    }

    public void SiluMul(float* gate, float* up, int n) => SimdKernels.SiluMul(gate, up, n);

    public void Add(float* y, float* x, int n) => SimdKernels.Add(y, x, n);

    public void Axpy(float* y, float a, float* x, int n) => SimdKernels.Axpy(y, a, x, n);

    public void Softmax(float* x, int n) => SimdKernels.Softmax(x, n);

    public void Rope(float* x, int xStride, int rows, int heads, int headStride, int dim, float* cos, float* sin)
    {
        // Tiny (rope dims per head); the scalar form is already memory-trivial.
        int half = dim / 2;
        for (int t = 0; t < rows; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                ScalarKernels.Rope(x + (long)t * xStride + (long)h * headStride, cos + (long)t * half, sin + (long)t * half, dim);
            }
        }
    }

    public void LatentAttention(in LatentAttentionArgs args)
    {
        EnsureScratch(args.StartPosition + args.Rows);
        _attention.Args = args;
        _pool.Run(_attention, args.Rows * args.Heads);
        _attention.Args = default;
    }

    public void Dispose()
    {
        _pool.Dispose();
        foreach (NativeBuffer<float>? buffer in _scratch)
        {
            buffer?.Dispose();
        }
    }

    private sealed class MatMulJob(CpuBackend owner) : ParallelJob
    {
        private float* _x;
        private int _xStride;
        private int _rows;
        private WeightMatrix? _w;
        private float* _y;
        private int _yStride;
        private int _perChunk;

        public void Set(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride, int perChunk)
        {
            _x = x;
            _xStride = xStride;
            _rows = rows;
            _w = w;
            _y = y;
            _yStride = yStride;
            _perChunk = perChunk;
        }

        public override void Execute(int chunk, int thread)
        {
            WeightMatrix w = _w!;
            int cols = w.Cols;
            int first = chunk * _perChunk;
            int last = Math.Min(w.Rows, first + _perChunk);
            float* results = stackalloc float[4];
            for (int o = first; o < last; o++)
            {
                float* wf = null;
                ushort* wb = null;
                switch (w.Format)
                {
                    case WeightFormat.F32:
                        wf = (float*)w.Data + (long)o * cols;
                        break;
                    case WeightFormat.Bf16:
                        wb = (ushort*)w.Data + (long)o * cols;
                        break;
                    default:
                        wf = owner._scratch[thread]!.Pointer;
                        SimdKernels.DequantizeFp8Row(
                            w.Data + (long)o * cols, w.Scales + (o / WeightMatrix.Fp8BlockSize) * w.ScaleCols, cols, wf);
                        break;
                }

                int t = 0;
                for (; t + 4 <= _rows; t += 4)
                {
                    float* x = _x + (long)t * _xStride;
                    if (wb != null)
                    {
                        SimdKernels.Dot4Bf16(wb, x, _xStride, cols, results);
                    }
                    else
                    {
                        SimdKernels.Dot4(wf, x, _xStride, cols, results);
                    }

                    float* y = _y + (long)t * _yStride + o;
                    y[0] = results[0];
                    y[_yStride] = results[1];
                    y[2L * _yStride] = results[2];
                    y[3L * _yStride] = results[3];
                }

                for (; t < _rows; t++)
                {
                    float* x = _x + (long)t * _xStride;
                    _y[(long)t * _yStride + o] = wb != null ? SimdKernels.DotBf16(x, wb, cols) : SimdKernels.Dot(x, wf, cols);
                }
            }
        }
    }

    private sealed class AttentionJob(CpuBackend owner) : ParallelJob
    {
        public LatentAttentionArgs Args;

        public override void Execute(int chunk, int thread)
        {
            int row = chunk / Args.Heads;
            int head = chunk % Args.Heads;
            LatentAttentionKernel.AttendOne(Args, row, head, owner._scratch[thread]!.Pointer, simd: true);
        }
    }
}
