using System.Runtime.CompilerServices;
using Maas.Engine.KvCache;
using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// The kernels of one <see cref="SimdLevel"/> (<see cref="FloatKernels"/>, <see cref="Q8Kernels"/>) on the engine's own
/// <see cref="ComputeThreadPool"/>. MatMul splits output rows into chunks; each weight row is read once and multiplied
/// with every token row of the batch.
/// </summary>
internal sealed unsafe class CpuBackend : IComputeBackend
{
    private const int MinRowsPerChunk = 16;

    private readonly FloatKernels _f32;
    private readonly Q8Kernels _q8;
    private readonly ComputeThreadPool _pool;
    private readonly MatMulJob _matMul;
    private readonly MatMulHeadsJob _matMulHeads;
    private readonly AttentionJob _attention;
    private readonly MatMulGroupsJob _matMulGroups;
    private readonly ExpandedAttentionJob _expandedAttention;
    private readonly QuantizeJob _quantize;
    private readonly NativeBuffer<float>?[] _scratch;
    private NativeBuffer<float>? _gathered;
    private NativeBuffer<byte>? _q8Codes;
    private NativeBuffer<float>? _q8Scales;

    /// <param name="threads">Compute threads, the caller's included (0: one per core).</param>
    /// <param name="level">The kernels' instruction set; null: <see cref="SimdSupport.Resolve"/> (MAAS_ENGINE_SIMD or the widest supported).</param>
    public CpuBackend(int threads, SimdLevel? level = null)
    {
        Level = SimdSupport.Resolve(level);
        _f32 = FloatKernels.For(Level);
        _q8 = Q8Kernels.For(Level);
        Paths = KernelPaths.For(Level);
        _pool = new ComputeThreadPool(threads);
        _scratch = new NativeBuffer<float>?[_pool.ThreadCount];
        _matMul = new MatMulJob(this);
        _matMulHeads = new MatMulHeadsJob(this);
        _attention = new AttentionJob(this);
        _matMulGroups = new MatMulGroupsJob(this);
        _expandedAttention = new ExpandedAttentionJob(this);
        _quantize = new QuantizeJob(this);
    }

    public string Name => $"cpu-{SimdSupport.Name(Level)}-x{_pool.ThreadCount}";

    public SimdLevel Level { get; }

    public KernelPaths Paths { get; }

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

    /// <summary>
    /// Quantizes the token rows of <paramref name="heads"/> inputs (x + h·xHeadStride) for a Q8 matmul of
    /// <paramref name="cols"/> input features, once per call on the calling thread, into the shared
    /// activation buffer: codes [heads, rows, RowBytes], scales [heads, rows, Blocks].
    /// </summary>
    private void QuantizeActivations(float* x, int xStride, long xHeadStride, int heads, int rows, int cols)
    {
        int rowBytes = ActivationStride(cols), blocks = Q8BlockQuantizer.Blocks(cols);
        EnsureActivationBuffers((long)heads * rows * rowBytes, (long)heads * rows * blocks);
        for (int h = 0; h < heads; h++)
        {
            long row = (long)h * rows;
            QuantizeRows(x + h * xHeadStride, xStride, rows, cols, _q8Codes!.Pointer + row * rowBytes, _q8Scales!.Pointer + row * blocks);
        }

        QuantizeQueued();
    }

    private void EnsureActivationBuffers(long codes, long scales)
    {
        if (_q8Codes is null || _q8Codes.Length < codes)
        {
            _q8Codes?.Dispose();
            _q8Codes = new NativeBuffer<byte>(Math.Max(codes, 1L << 16));
        }

        if (_q8Scales is null || _q8Scales.Length < scales)
        {
            _q8Scales?.Dispose();
            _q8Scales = new NativeBuffer<float>(Math.Max(scales, 1024));
        }
    }

    /// <summary>Queues token rows for quantization; <see cref="QuantizeQueued"/> runs them.</summary>
    private void QuantizeRows(float* x, int xStride, int rows, int cols, byte* codes, float* scales) =>
        _quantize.Add(x, xStride, rows, cols, codes, scales);

    /// <summary>
    /// Quantizes the queued rows: on the calling thread for a few rows (decode), else over the compute threads (a
    /// prompt chunk's routed-expert inputs are thousands of rows, which one thread took a few ms per layer to do).
    /// </summary>
    private void QuantizeQueued()
    {
        int chunks = _quantize.Chunks;
        if (_quantize.Rows < ParallelQuantizeRows || _pool.ThreadCount == 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                _quantize.Execute(c, 0);
            }
        }
        else
        {
            _pool.Run(_quantize, chunks);
        }

        _quantize.Clear();
    }

    /// <summary>Queued activation rows from which quantizing goes parallel.</summary>
    private const int ParallelQuantizeRows = 64;

    /// <summary>
    /// Bytes between quantized activation rows: whole blocks plus one cache line, because a power-of-two
    /// stride (2048 for V2-Lite) puts the same column of every token row in one L1 set, and 8+ token rows
    /// then evict each other (measured: 16 tokens ran 1.5x slower per MAC than 4).
    /// </summary>
    private static int ActivationStride(int cols) => Q8BlockQuantizer.RowBytes(cols) + 64;

    public void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride)
    {
        if (rows == 0)
        {
            return;
        }

        if (w.Format == WeightFormat.Q8Block128)
        {
            QuantizeActivations(x, xStride, 0, 1, rows, w.Cols);
        }

        if (UsesScratch(w.Format, rows))
        {
            EnsureScratch(RowBlock * w.Cols);
        }

        int perChunk = RoundToTile(Math.Max(MinRowsPerChunk, (w.Rows + _pool.ThreadCount * 4 - 1) / (_pool.ThreadCount * 4)));
        _matMul.Set(x, xStride, rows, w, y, yStride, perChunk);
        _pool.Run(_matMul, (w.Rows + perChunk - 1) / perChunk);
    }

    public void MatMulHeads(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride)
    {
        if (rows == 0 || w.Length == 0)
        {
            return;
        }

        int outRows = w[0].Rows;
        int maxCols = 0;
        bool q8 = w[0].Format == WeightFormat.Q8Block128;
        foreach (WeightMatrix m in w)
        {
            if (m.Rows != outRows)
            {
                throw new ArgumentException("MatMulHeads needs matrices with the same number of rows", nameof(w));
            }

            if ((m.Format == WeightFormat.Q8Block128) != q8 || (q8 && m.Cols != w[0].Cols))
            {
                throw new ArgumentException("MatMulHeads needs Q8 matrices on every head or none, with the same number of columns", nameof(w));
            }

            maxCols = Math.Max(maxCols, UsesScratch(m.Format, rows) ? m.Cols : 0);
        }

        if (maxCols > 0)
        {
            EnsureScratch(RowBlock * maxCols);
        }

        if (q8)
        {
            // A shared input (gate+up) is quantized once; per-head inputs once per head.
            QuantizeActivations(x, xStride, xHeadStride, xHeadStride == 0 ? 1 : w.Length, rows, w[0].Cols);
        }

        int chunksPerHead = Math.Max(1, Math.Min((outRows + MinRowsPerChunk - 1) / MinRowsPerChunk, (_pool.ThreadCount * 4 + w.Length - 1) / w.Length));
        int perChunk = RoundToTile((outRows + chunksPerHead - 1) / chunksPerHead);
        chunksPerHead = (outRows + perChunk - 1) / perChunk;
        _matMulHeads.Set(x, xStride, xHeadStride, rows, w, y, yStride, yHeadStride, perChunk, chunksPerHead, inputMajor: false);
        _pool.Run(_matMulHeads, chunksPerHead * w.Length);
    }

    public void MatMulHeadsInputMajor(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride)
    {
        if (rows == 0 || w.Length == 0)
        {
            return;
        }

        foreach (WeightMatrix m in w)
        {
            if (m.Format is not (WeightFormat.F32 or WeightFormat.Bf16) || m.Format != w[0].Format || m.Rows != w[0].Rows || m.Cols != w[0].Cols)
            {
                throw new ArgumentException("input-major matmuls need f32 or BF16 matrices of one shape and format", nameof(w));
            }
        }

        // Chunks of 128 outputs per head: 4 per head for MLA's 512-wide latent, 64 for 16 heads.
        int chunksPerHead = (w[0].Cols + InputMajorChunk - 1) / InputMajorChunk;
        _matMulHeads.Set(x, xStride, xHeadStride, rows, w, y, yStride, yHeadStride, InputMajorChunk, chunksPerHead, inputMajor: true);
        _pool.Run(_matMulHeads, chunksPerHead * w.Length);
    }

    private const int InputMajorChunk = 128;

    public void MatMulGroups(ReadOnlySpan<MatMulGroup> groups)
    {
        if (groups.IsEmpty)
        {
            return;
        }

        // Q8 inputs are quantized once per distinct input (gate and up of an expert share theirs).
        long codes = 0, scales = 0;
        int maxScratchCols = 0;
        foreach (MatMulGroup g in groups)
        {
            if (g.W.Format == WeightFormat.Q8Block128)
            {
                codes += (long)g.Rows * ActivationStride(g.W.Cols);
                scales += (long)g.Rows * g.W.Q8Blocks;
            }
            else if (UsesScratch(g.W.Format, g.Rows))
            {
                maxScratchCols = Math.Max(maxScratchCols, g.W.Cols);
            }
        }

        EnsureActivationBuffers(codes, scales);
        if (maxScratchCols > 0)
        {
            EnsureScratch(RowBlock * maxScratchCols);
        }

        int chunks = _matMulGroups.Set(groups, _q8Codes!.Pointer, _q8Scales!.Pointer);
        QuantizeQueued();
        _pool.Run(_matMulGroups, chunks);
        _matMulGroups.Clear();
    }

    /// <summary>Chunks of whole Q8 row tiles, so only a matrix's last tile can be partial.</summary>
    private static int RoundToTile(int rows) => (rows + Q8RowTile - 1) / Q8RowTile * Q8RowTile;

    public void RmsNorm(float* x, int xStride, int rows, float* weight, int dim, float eps, float* y, int yStride)
    {
        for (int t = 0; t < rows; t++)
        {
            _f32.RmsNorm(x + (long)t * xStride, weight, eps, y + (long)t * yStride, dim);
        }
    }

    public void SiluMul(float* gate, float* up, int n) => _f32.SiluMul(gate, up, n);

    public void Add(float* y, float* x, int n) => _f32.Add(y, x, n);

    public void Axpy(float* y, float a, float* x, int n) => _f32.Axpy(y, a, x, n);

    public void Softmax(float* x, int n) => _f32.Softmax(x, n);

    // Tiny (rope dims per head): the scalar form is already memory-trivial, so both backends share it.
    public void Rope(float* x, int xStride, int rows, int heads, int headStride, int dim, float* cos, float* sin) =>
        ScalarKernels.RopeRows(x, xStride, rows, heads, headStride, dim, cos, sin);

    public void LatentAttention(ReadOnlySpan<LatentAttentionArgs> sequences)
    {
        int longest = 0;
        foreach (LatentAttentionArgs a in sequences)
        {
            longest = Math.Max(longest, a.StartPosition + a.Rows);
        }

        int heads = sequences.IsEmpty ? 1 : sequences[0].Heads;
        int headsPerItem = (heads + Math.Min(heads, 2 * _pool.ThreadCount) - 1) / Math.Min(heads, 2 * _pool.ThreadCount);
        EnsureScratch(headsPerItem * longest);
        int items = _attention.Set(sequences, headsPerItem);
        _pool.Run(_attention, items);
        _attention.Clear();
    }

    public void ExpandedAttention(ReadOnlySpan<ExpandedAttentionArgs> sequences)
    {
        if (sequences.IsEmpty)
        {
            return;
        }

        // Each sequence's cached latents are gathered once (row-major and transposed) for all its heads.
        PagedKvCache cache = sequences[0].Cache;
        int latent = cache.LatentDim, rope = cache.RopeDim;
        long total = 0, scratch = 0;
        foreach (ExpandedAttentionArgs a in sequences)
        {
            int keys = a.StartPosition + a.Rows;
            total += ExpandedAttentionKernel.GatheredFloats(keys, latent, rope);
            scratch = Math.Max(scratch, ExpandedAttentionKernel.ScratchFloats(keys, a.KeyUp[0].Rows, rope, a.ValueUp[0].Cols, latent));
        }

        if (_gathered is null || _gathered.Length < total)
        {
            _gathered?.Dispose();
            _gathered = new NativeBuffer<float>(Math.Max(total, 1L << 16));
        }

        EnsureScratch(checked((int)scratch));
        int items = _expandedAttention.Set(sequences, _gathered.Pointer);
        _pool.Run(_expandedAttention, items);
        _expandedAttention.Clear();
    }

    public void Dispose()
    {
        _pool.Dispose();
        _gathered?.Dispose();
        _q8Codes?.Dispose();
        _q8Scales?.Dispose();
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
            int first = chunk * _perChunk;
            int last = Math.Min(_w!.Rows, first + _perChunk);
            if (_w.Format == WeightFormat.Q8Block128)
            {
                owner.ComputeRowsQ8(owner._q8Codes!.Pointer, owner._q8Scales!.Pointer, _rows, _w, _y, _yStride, first, last);
                return;
            }

            owner.ComputeRows(_x, _xStride, _rows, _w, _y, _yStride, first, last, owner._scratch[thread]);
        }
    }

    private sealed class MatMulHeadsJob(CpuBackend owner) : ParallelJob
    {
        private float* _x;
        private int _xStride;
        private long _xHeadStride;
        private int _rows;
        private WeightMatrix[]? _w;
        private float* _y;
        private int _yStride;
        private long _yHeadStride;
        private int _perChunk;
        private int _chunksPerHead;
        private bool _inputMajor;

        /// <param name="inputMajor">Chunks are output columns of f32 input-major matrices (<see cref="MatMulHeadsInputMajor"/>), not weight rows.</param>
        public void Set(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride, int perChunk, int chunksPerHead, bool inputMajor)
        {
            _inputMajor = inputMajor;
            _x = x;
            _xStride = xStride;
            _xHeadStride = xHeadStride;
            _rows = rows;
            _w = w;
            _y = y;
            _yStride = yStride;
            _yHeadStride = yHeadStride;
            _perChunk = perChunk;
            _chunksPerHead = chunksPerHead;
        }

        public override void Execute(int chunk, int thread)
        {
            int head = chunk / _chunksPerHead;
            WeightMatrix w = _w![head];
            int first = (chunk % _chunksPerHead) * _perChunk;
            if (_inputMajor)
            {
                int end = Math.Min(w.Cols, first + _perChunk);
                if (w.Format == WeightFormat.Bf16)
                {
                    owner._f32.MatMulInputMajorBf16(_x + head * _xHeadStride, _xStride, _rows, (ushort*)w.Data, w.Rows, w.Cols, _y + head * _yHeadStride, _yStride, first, end);
                }
                else
                {
                    owner._f32.MatMulInputMajor(_x + head * _xHeadStride, _xStride, _rows, (float*)w.Data, w.Rows, w.Cols, _y + head * _yHeadStride, _yStride, first, end);
                }

                return;
            }

            int last = Math.Min(w.Rows, first + _perChunk);
            if (w.Format == WeightFormat.Q8Block128)
            {
                long inputHead = _xHeadStride == 0 ? 0 : head;
                owner.ComputeRowsQ8(owner._q8Codes!.Pointer + inputHead * _rows * ActivationStride(w.Cols), owner._q8Scales!.Pointer + inputHead * _rows * w.Q8Blocks, _rows, w, _y + head * _yHeadStride, _yStride, first, last);
                return;
            }

            owner.ComputeRows(_x + head * _xHeadStride, _xStride, _rows, w, _y + head * _yHeadStride, _yStride, first, last, owner._scratch[thread]);
        }
    }

    /// <summary>
    /// The row chunks of every group of a <see cref="MatMulGroups"/> call, in group order, so the two
    /// threads stream neighbouring parts of one expert's weights and move on together.
    /// </summary>
    private sealed class MatMulGroupsJob(CpuBackend owner) : ParallelJob
    {
        private MatMulGroup[] _groups = new MatMulGroup[16];
        private int[] _firstChunk = new int[17];
        private int[] _perChunk = new int[16];
        private long[] _codes = new long[16];
        private long[] _scales = new long[16];
        private int _count;

        /// <summary>Copies the groups, quantizes Q8 inputs into the shared buffers; returns the chunk count.</summary>
        public int Set(ReadOnlySpan<MatMulGroup> groups, byte* codes, float* scales)
        {
            if (_groups.Length < groups.Length)
            {
                int size = Math.Max(groups.Length, _groups.Length * 2);
                _groups = new MatMulGroup[size];
                _firstChunk = new int[size + 1];
                _perChunk = new int[size];
                _codes = new long[size];
                _scales = new long[size];
            }

            _count = groups.Length;
            // Whole matrices per chunk, so each thread streams one expert matrix from start to end; matrices are
            // split only when there are too few groups to keep the threads busy. (Against 4 chunks per matrix
            // the MoE-layer benchmark showed no difference beyond this VM's ±15% noise; fewer chunks is simpler.)
            int chunksPerGroup = (owner.ThreadCount * 4 + groups.Length - 1) / groups.Length;
            long codeOffset = 0, scaleOffset = 0;
            _firstChunk[0] = 0;
            for (int i = 0; i < groups.Length; i++)
            {
                MatMulGroup g = groups[i];
                _groups[i] = g;
                if (g.W.Format == WeightFormat.Q8Block128)
                {
                    int same = SameQ8Input(groups, i);
                    if (same >= 0)
                    {
                        _codes[i] = _codes[same];
                        _scales[i] = _scales[same];
                    }
                    else
                    {
                        _codes[i] = codeOffset;
                        _scales[i] = scaleOffset;
                        owner.QuantizeRows(g.X, g.XStride, g.Rows, g.W.Cols, codes + codeOffset, scales + scaleOffset);
                        codeOffset += (long)g.Rows * ActivationStride(g.W.Cols);
                        scaleOffset += (long)g.Rows * g.W.Q8Blocks;
                    }
                }

                _perChunk[i] = RoundToTile(Math.Max(MinRowsPerChunk, (g.W.Rows + chunksPerGroup - 1) / chunksPerGroup));
                _firstChunk[i + 1] = _firstChunk[i] + (g.Rows == 0 ? 0 : (g.W.Rows + _perChunk[i] - 1) / _perChunk[i]);
            }

            return _firstChunk[_count];
        }

        /// <summary>An earlier Q8 group with the same input rows (up after gate, a shared expert's up after the routed ones), or -1.</summary>
        private static int SameQ8Input(ReadOnlySpan<MatMulGroup> groups, int i)
        {
            MatMulGroup g = groups[i];
            for (int j = i - 1; j >= 0; j--)
            {
                MatMulGroup p = groups[j];
                if (p.X == g.X && p.Rows == g.Rows && p.XStride == g.XStride && p.W.Format == WeightFormat.Q8Block128 && p.W.Cols == g.W.Cols)
                {
                    return j;
                }
            }

            return -1;
        }

        public void Clear()
        {
            Array.Clear(_groups, 0, _count);
            _count = 0;
        }

        public override void Execute(int chunk, int thread)
        {
            // Binary search for the group holding this chunk.
            int low = 0, high = _count - 1;
            while (low < high)
            {
                int mid = (low + high + 1) >> 1;
                if (_firstChunk[mid] <= chunk)
                {
                    low = mid;
                }
                else
                {
                    high = mid - 1;
                }
            }

            ref MatMulGroup g = ref _groups[low];
            int first = (chunk - _firstChunk[low]) * _perChunk[low];
            int last = Math.Min(g.W.Rows, first + _perChunk[low]);
            if (g.W.Format == WeightFormat.Q8Block128)
            {
                owner.ComputeRowsQ8(owner._q8Codes!.Pointer + _codes[low], owner._q8Scales!.Pointer + _scales[low], g.Rows, g.W, g.Y, g.YStride, first, last);
                return;
            }

            owner.ComputeRows(g.X, g.XStride, g.Rows, g.W, g.Y, g.YStride, first, last, owner._scratch[thread]);
        }
    }

    /// <summary>Weight rows dequantized together into per-thread f32 scratch, then swept by every token group.</summary>
    private const int RowBlock = 16;

    /// <summary>Whether a matmul of this format and token count goes through the f32 row-block scratch.</summary>
    private static bool UsesScratch(WeightFormat format, int tokenRows) =>
        format == WeightFormat.Fp8Block128 || (format == WeightFormat.Bf16 && tokenRows >= 4);

    /// <summary>
    /// Output features [first, last) for every token row. Weights come from memory once: blocks of
    /// RowBlock rows (small enough for L2) are swept by each group of 4 token rows (which stays in L1).
    /// BF16 with several token rows and FP8 are widened once per block into f32 scratch, so the
    /// inner loop is the plain f32 kernel; a single BF16 token row (decode) widens in registers.
    /// </summary>
    private void ComputeRows(float* xBase, int xStride, int tokenRows, WeightMatrix w, float* yBase, int yStride, int first, int last, NativeBuffer<float>? scratch)
    {
        int cols = w.Cols;
        bool useScratch = UsesScratch(w.Format, tokenRows);
        for (int block = first; block < last; block += RowBlock)
        {
            int blockEnd = Math.Min(last, block + RowBlock);
            if (useScratch)
            {
                for (int o = block; o < blockEnd; o++)
                {
                    float* target = scratch!.Pointer + (long)(o - block) * cols;
                    if (w.Format == WeightFormat.Fp8Block128)
                    {
                        _f32.DequantizeFp8Row(w.Data + (long)o * cols, w.Scales + (o / WeightMatrix.Fp8BlockSize) * w.ScaleCols, cols, target);
                    }
                    else
                    {
                        _f32.WidenBf16Row((ushort*)w.Data + (long)o * cols, cols, target);
                    }
                }
            }

            for (int t = 0; t < tokenRows; t += 4)
            {
                int count = Math.Min(4, tokenRows - t);
                for (int o = block; o < blockEnd; o++)
                {
                    if (useScratch)
                    {
                        TokenGroup(xBase, xStride, t, count, scratch!.Pointer + (long)(o - block) * cols, null, cols, yBase, yStride, o);
                    }
                    else if (w.Format == WeightFormat.F32)
                    {
                        TokenGroup(xBase, xStride, t, count, (float*)w.Data + (long)o * cols, null, cols, yBase, yStride, o);
                    }
                    else
                    {
                        TokenGroup(xBase, xStride, t, count, null, (ushort*)w.Data + (long)o * cols, cols, yBase, yStride, o);
                    }
                }
            }
        }
    }

    /// <summary>Q8 rows come in tiles of 16 (<see cref="Q8BlockQuantizer.TileRows"/>); chunks hold whole tiles.</summary>
    private const int Q8RowTile = Q8BlockQuantizer.TileRows;

    /// <summary>
    /// How many tiles ahead a multi-token Q8 tile prefetches its weights. With 2+ tokens the hardware
    /// prefetcher alone left the weight stream exposed; prefetching 2 tiles ahead measured best against
    /// 0, 1 and 4 (lm_head at 16 tokens 227 → 250-265 int8 GMAC/s; 4 tokens 28 → 34-36 GB/s). The
    /// single-token path streams better without it.
    /// </summary>
    private const int Q8PrefetchTiles = 2;

    /// <summary>
    /// 128-column blocks per pass over the token rows of a Q8 matmul: a tile's 16 rows × 512 columns (8 KB) stay in
    /// L1 while every group of 4 tokens sweeps them, and the tokens' 512-column slices (n × 512 bytes) stay in L2.
    /// </summary>
    private const int Q8BlocksPerPass = 4;

    /// <summary>
    /// Q8 output features [first, last) (first a multiple of the tile) for every token row, from activations
    /// already quantized (codes [tokens, ActivationStride], scales [tokens, Blocks]). Each tile is read from memory
    /// once, a pass of <see cref="Q8BlocksPerPass"/> blocks at a time (the first token group also prefetches that
    /// pass of a later tile), and re-read from L1 by the other groups of up to 4 tokens. A last tile with padding
    /// rows is computed into scratch and only its real rows copied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeRowsQ8(byte* codes, float* scales, int tokenRows, WeightMatrix w, float* yBase, int yStride, int first, int last)
    {
        const int block = Q8BlockQuantizer.BlockSize;
        int rowBytes = w.Q8RowBytes, blocks = w.Q8Blocks, aStride = ActivationStride(w.Cols);
        long tileBytes = (long)Q8RowTile * rowBytes;
        int tileBlocks = Q8RowTile * blocks;
        byte* data = w.Data;
        Q8Kernels q8 = _q8;
        // A single pass when one token group covers every row: nothing to keep in L1 between groups.
        int perPass = tokenRows <= 4 ? blocks : Q8BlocksPerPass;
        float* partial = stackalloc float[4 * Q8RowTile];
        for (int tile = first; tile < last; tile += Q8RowTile)
        {
            int index = tile / Q8RowTile;
            sbyte* tileCodes = (sbyte*)data + index * tileBytes;
            float* tileScales = w.Scales + (long)index * tileBlocks;
            int* tileOffsets = w.Q8Offsets + (long)index * tileBlocks;
            int realRows = Math.Min(Q8RowTile, w.Rows - tile);
            long prefetch = tile + (Q8PrefetchTiles + 1) * Q8RowTile <= last ? Q8PrefetchTiles * tileBytes : 0;
            // The padded last tile goes in one pass, so its scratch holds one token group's sums at a time.
            int tilePerPass = realRows == Q8RowTile ? perPass : blocks;
            for (int b0 = 0; b0 < blocks; b0 += tilePerPass)
            {
                int passBlocks = Math.Min(tilePerPass, blocks - b0);
                bool accumulate = b0 > 0;
                for (int t = 0; t < tokenRows; t += 4)
                {
                    int count = Math.Min(4, tokenRows - t);
                    byte* a = codes + (long)t * aStride + b0 * block;
                    float* aScales = scales + (long)t * blocks + b0;
                    long ahead = t == 0 && count > 1 ? prefetch : 0;
                    sbyte* passCodes = tileCodes + (long)b0 * block * Q8RowTile;
                    float* passScales = tileScales + b0 * Q8RowTile;
                    int* passOffsets = tileOffsets + b0 * Q8RowTile;
                    if (realRows == Q8RowTile)
                    {
                        q8.DotTile(count, a, aStride, aScales, blocks, passBlocks, passCodes, passScales, passOffsets, yBase + (long)t * yStride + tile, yStride, accumulate, ahead);
                        continue;
                    }

                    q8.DotTile(count, a, aStride, aScales, blocks, passBlocks, passCodes, passScales, passOffsets, partial, Q8RowTile, false, 0);
                    for (int i = 0; i < count; i++)
                    {
                        new ReadOnlySpan<float>(partial + i * Q8RowTile, realRows).CopyTo(new Span<float>(yBase + (long)(t + i) * yStride + tile, realRows));
                    }
                }
            }
        }
    }

    /// <summary>y[t, o] for token rows [t0, t0 + count) and one weight row (f32 or BF16).</summary>
    private void TokenGroup(float* xBase, int xStride, int t0, int count, float* wf, ushort* wb, int cols, float* yBase, int yStride, int o)
    {
        float* results = stackalloc float[4];
        int t = t0;
        for (; t + 4 <= t0 + count; t += 4)
        {
            float* x = xBase + (long)t * xStride;
            if (wb != null)
            {
                _f32.Dot4Bf16(wb, x, xStride, cols, results);
            }
            else
            {
                _f32.Dot4(wf, x, xStride, cols, results);
            }

            float* y = yBase + (long)t * yStride + o;
            y[0] = results[0];
            y[yStride] = results[1];
            y[2L * yStride] = results[2];
            y[3L * yStride] = results[3];
        }

        for (; t < t0 + count; t++)
        {
            float* x = xBase + (long)t * xStride;
            yBase[(long)t * yStride + o] = wb != null ? _f32.DotBf16(x, wb, cols) : _f32.Dot(x, wf, cols);
        }
    }

    /// <summary>Activation rows queued for Q8 quantization, in chunks of up to 16 rows.</summary>
    private sealed class QuantizeJob(CpuBackend owner) : ParallelJob
    {
        private const int RowsPerChunk = 16;

        private nint[] _x = new nint[8];
        private int[] _xStride = new int[8];
        private int[] _rows = new int[8];
        private int[] _cols = new int[8];
        private nint[] _codes = new nint[8];
        private nint[] _scales = new nint[8];
        private int[] _firstChunk = new int[9];
        private int _count;

        public int Rows { get; private set; }

        public int Chunks => _firstChunk[_count];

        public void Add(float* x, int xStride, int rows, int cols, byte* codes, float* scales)
        {
            if (_count == _x.Length)
            {
                int size = _count * 2;
                Array.Resize(ref _x, size);
                Array.Resize(ref _xStride, size);
                Array.Resize(ref _rows, size);
                Array.Resize(ref _cols, size);
                Array.Resize(ref _codes, size);
                Array.Resize(ref _scales, size);
                Array.Resize(ref _firstChunk, size + 1);
            }

            _x[_count] = (nint)x;
            _xStride[_count] = xStride;
            _rows[_count] = rows;
            _cols[_count] = cols;
            _codes[_count] = (nint)codes;
            _scales[_count] = (nint)scales;
            _firstChunk[_count + 1] = _firstChunk[_count] + (rows + RowsPerChunk - 1) / RowsPerChunk;
            _count++;
            Rows += rows;
        }

        public void Clear()
        {
            _count = 0;
            Rows = 0;
        }

        public override void Execute(int chunk, int thread)
        {
            int task = 0;
            while (_firstChunk[task + 1] <= chunk)
            {
                task++;
            }

            int cols = _cols[task], rowBytes = ActivationStride(cols), blocks = Q8BlockQuantizer.Blocks(cols);
            int first = (chunk - _firstChunk[task]) * RowsPerChunk, last = Math.Min(_rows[task], first + RowsPerChunk);
            bool unsignedCodes = owner._q8.UnsignedActivations;
            float* x = (float*)_x[task];
            byte* codes = (byte*)_codes[task];
            float* scales = (float*)_scales[task];
            for (int t = first; t < last; t++)
            {
                owner._f32.QuantizeActivationRow(x + (long)t * _xStride[task], cols, codes + (long)t * rowBytes, scales + (long)t * blocks, unsignedCodes);
            }
        }
    }

    /// <summary>(sequence, head) items of expanded attention over latents gathered per sequence before the dispatch.</summary>
    private sealed class ExpandedAttentionJob(CpuBackend owner) : ParallelJob
    {
        private ExpandedAttentionArgs[] _sequences = new ExpandedAttentionArgs[4];
        private long[] _gathered = new long[4];
        private nint[] _transposed = new nint[4];
        private float* _buffer;
        private int _count;
        private int _heads;

        /// <summary>Copies the sequences and gathers their latents into <paramref name="buffer"/>; returns the item count.</summary>
        public int Set(ReadOnlySpan<ExpandedAttentionArgs> sequences, float* buffer)
        {
            if (_sequences.Length < sequences.Length)
            {
                _sequences = new ExpandedAttentionArgs[sequences.Length];
                _gathered = new long[sequences.Length];
                _transposed = new nint[sequences.Length];
            }

            sequences.CopyTo(_sequences);
            _count = sequences.Length;
            _buffer = buffer;
            _heads = sequences[0].Heads;
            long offset = 0;
            for (int i = 0; i < _count; i++)
            {
                ref ExpandedAttentionArgs a = ref _sequences[i];
                if (a.Heads != _heads)
                {
                    throw new ArgumentException("all sequences of a step must have the same head count", nameof(sequences));
                }

                int keys = a.StartPosition + a.Rows;
                _gathered[i] = offset;
                _transposed[i] = (nint)ExpandedAttentionKernel.Gather(owner._f32, a.Cache, a.Sequence, a.Layer, keys, buffer + offset);
                offset += ExpandedAttentionKernel.GatheredFloats(keys, a.Cache.LatentDim, a.Cache.RopeDim);
            }

            return _count * _heads;
        }

        public void Clear()
        {
            Array.Clear(_sequences, 0, _count);
            _count = 0;
        }

        public override void Execute(int chunk, int thread)
        {
            int entry = chunk / _heads;
            ref ExpandedAttentionArgs a = ref _sequences[entry];
            ExpandedAttentionKernel.AttendHead(owner._f32, a, chunk % _heads, _buffer + _gathered[entry], (float*)_transposed[entry], owner._scratch[thread]!.Pointer);
        }
    }

    private sealed class AttentionJob(CpuBackend owner) : ParallelJob
    {
        private LatentAttentionArgs[] _sequences = new LatentAttentionArgs[16];
        private int[] _firstItem = new int[17];
        private int _count;
        private int _headsPerItem;
        private int _groups;

        /// <summary>Copies the step's sequences; returns the number of (sequence, row, head group) work items.</summary>
        public int Set(ReadOnlySpan<LatentAttentionArgs> sequences, int headsPerItem)
        {
            if (_sequences.Length < sequences.Length)
            {
                _sequences = new LatentAttentionArgs[sequences.Length];
                _firstItem = new int[sequences.Length + 1];
            }

            sequences.CopyTo(_sequences);
            _count = sequences.Length;
            _headsPerItem = headsPerItem;
            _groups = sequences.IsEmpty ? 1 : (sequences[0].Heads + headsPerItem - 1) / headsPerItem;
            _firstItem[0] = 0;
            for (int i = 0; i < _count; i++)
            {
                if (_sequences[i].Heads != _sequences[0].Heads)
                {
                    throw new ArgumentException("all sequences of a step must have the same head count", nameof(sequences));
                }

                _firstItem[i + 1] = _firstItem[i] + _sequences[i].Rows * _groups;
            }

            return _firstItem[_count];
        }

        public void Clear()
        {
            Array.Clear(_sequences, 0, _count);
            _count = 0;
        }

        public override void Execute(int chunk, int thread)
        {
            int s = 0;
            while (_firstItem[s + 1] <= chunk)
            {
                s++;
            }

            ref LatentAttentionArgs args = ref _sequences[s];
            int item = chunk - _firstItem[s];
            int firstHead = (item % _groups) * _headsPerItem;
            int headCount = Math.Min(_headsPerItem, args.Heads - firstHead);
            LatentAttentionKernel.AttendHeads(owner._f32, args, item / _groups, firstHead, headCount, owner._scratch[thread]!.Pointer);
        }
    }
}
