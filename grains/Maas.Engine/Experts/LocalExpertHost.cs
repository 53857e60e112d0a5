using Maas.Engine.Kernels;
using Maas.Engine.Weights;

namespace Maas.Engine.Experts;

/// <summary>
/// The base model's routed experts, in-process: assignments are grouped per expert and each
/// touched expert runs once per layer per step as a small batched matmul over its token rows; all
/// touched experts of a layer go to the backend together (one dispatch for gate+up, one for down).
/// </summary>
public sealed unsafe class LocalExpertHost : IExpertHost, IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly FeedForwardWeights[]?[] _layers;
    private readonly int _hiddenSize;
    private readonly int _width;
    private int[] _counts = [];
    private int[] _offsets = [];
    private int[] _order = [];
    private MatMulGroup[] _groups = [];
    private int _capacityRows;
    private NativeBuffer<float>? _input;
    private NativeBuffer<float>? _gateUp;
    private NativeBuffer<float>? _output;

    internal LocalExpertHost(IComputeBackend backend, FeedForwardWeights[]?[] layers, int hiddenSize, int width, int maxRows)
    {
        _backend = backend;
        _layers = layers;
        _hiddenSize = hiddenSize;
        _width = width;
        EnsureCapacity(maxRows);
    }

    /// <summary>Layers the host was built for (layers without routed experts included).</summary>
    public int LayerCount => _layers.Length;

    public bool Serves(int layer, int expert) =>
        (uint)layer < (uint)_layers.Length && _layers[layer] is { } experts && (uint)expert < (uint)experts.Length;

    public long ByteLength
    {
        get
        {
            long total = 0;
            foreach (FeedForwardWeights[]? layer in _layers)
            {
                if (layer is null)
                {
                    continue;
                }

                foreach (FeedForwardWeights expert in layer)
                {
                    total += expert.ByteLength;
                }
            }

            return total;
        }
    }

    /// <summary>Weight bytes of the distinct experts run since <see cref="ResetTouchedBytes"/> (each expert runs once per layer per step).</summary>
    public long TouchedBytes { get; private set; }

    public void ResetTouchedBytes() => TouchedBytes = 0;

    public void Accumulate(int layer, ReadOnlySpan<float> hidden, int hiddenSize, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output) =>
        Accumulate(layer, hidden, hiddenSize, assignments, output, null, []);

    /// <summary>
    /// <see cref="Accumulate(int, ReadOnlySpan{float}, int, ReadOnlySpan{ExpertAssignment}, Span{float})"/>, plus
    /// the layer's shared experts over every row in the same two backend dispatches instead of two more
    /// fork-joins of their own (measured: batch-1 steps 4-13% faster; at batch 16, where the shared matrices
    /// are compute-bound and could overlap the routed ones' streaming, no change beyond noise).
    /// The shared gate goes first and its up into the middle of the routed groups, so the two are unlikely to be
    /// computed at the same time and neither ends a dispatch alone; the shared down goes first in the second.
    /// Tenant fine-tunes' replacement experts are more groups of the same two dispatches: an assignment whose
    /// <see cref="ExpertAssignment.Expert"/> is n_routed + i runs <paramref name="replacements"/>[i], so a batch mixing
    /// the base model and any number of fine-tunes still costs two fork-joins per layer.
    /// </summary>
    internal void Accumulate(int layer, ReadOnlySpan<float> hidden, int hiddenSize, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output, SharedExpertRun? shared, ReadOnlySpan<FeedForwardWeights> replacements)
    {
        if (hiddenSize != _hiddenSize)
        {
            throw new ArgumentException($"hidden size {hiddenSize} does not match the experts' {_hiddenSize}", nameof(hiddenSize));
        }

        FeedForwardWeights[] experts = _layers[layer] ?? throw new ArgumentException($"layer {layer} has no routed experts", nameof(layer));
        int slots = experts.Length + replacements.Length;
        if (_counts.Length < slots)
        {
            _counts = new int[Math.Max(slots, _counts.Length * 2)];
            _offsets = new int[_counts.Length + 1];
        }

        if (_order.Length < assignments.Length)
        {
            _order = new int[Math.Max(assignments.Length, _order.Length * 2)];
        }

        // Counting sort of the assignments by expert.
        Array.Clear(_counts, 0, slots);
        foreach (ExpertAssignment a in assignments)
        {
            if ((uint)a.Expert >= (uint)slots)
            {
                throw new ArgumentOutOfRangeException(nameof(assignments), $"expert {a.Expert} does not exist in layer {layer}");
            }

            _counts[a.Expert]++;
        }

        _offsets[0] = 0;
        for (int e = 0; e < slots; e++)
        {
            _offsets[e + 1] = _offsets[e] + _counts[e];
            _counts[e] = _offsets[e];
        }

        for (int i = 0; i < assignments.Length; i++)
        {
            _order[_counts[assignments[i].Expert]++] = i;
        }

        // Gather every assignment's token row, grouped by expert, then run all touched experts' gate and up
        // projections in one dispatch and all down projections in another.
        EnsureCapacity(assignments.Length);
        float* x = _input!.Pointer;
        float* gate = _gateUp!.Pointer;
        float* up = gate + (long)_capacityRows * _width;
        float* down = _output!.Pointer;
        fixed (float* h = hidden)
        fixed (float* o = output)
        {
            for (int i = 0; i < assignments.Length; i++)
            {
                ExpertAssignment a = assignments[_order[i]];
                new ReadOnlySpan<float>(h + (long)a.Row * hiddenSize, hiddenSize).CopyTo(new Span<float>(x + (long)i * hiddenSize, hiddenSize));
            }

            if (_groups.Length < 2 * slots + 2)
            {
                _groups = new MatMulGroup[2 * slots + 2];
            }

            int groups = 0;
            int rows = hidden.Length / hiddenSize;
            bool withShared = shared.HasValue;
            SharedExpertRun run = shared.GetValueOrDefault();
            if (withShared)
            {
                _groups[groups++] = new MatMulGroup(h, hiddenSize, rows, run.Weights.Gate, run.Gate, run.Weights.Width);
            }

            for (int e = 0; e < slots; e++)
            {
                int start = _offsets[e];
                int n = _offsets[e + 1] - start;
                if (n == 0)
                {
                    continue;
                }

                FeedForwardWeights expert = e < experts.Length ? experts[e] : replacements[e - experts.Length];
                TouchedBytes += expert.ByteLength;
                float* xe = x + (long)start * hiddenSize;
                _groups[groups++] = new MatMulGroup(xe, hiddenSize, n, expert.Gate, gate + (long)start * _width, _width);
                _groups[groups++] = new MatMulGroup(xe, hiddenSize, n, expert.Up, up + (long)start * _width, _width);
            }

            if (withShared)
            {
                // Into the middle of the routed groups (between two experts), so it does not end the dispatch alone on one thread.
                int middle = 1 + ((groups - 1) / 4 * 2);
                Array.Copy(_groups, middle, _groups, middle + 1, groups - middle);
                _groups[middle] = new MatMulGroup(h, hiddenSize, rows, run.Weights.Up, run.Up, run.Weights.Width);
                groups++;
            }

            _backend.MatMulGroups(_groups.AsSpan(0, groups));
            _backend.SiluMul(gate, up, assignments.Length * _width);

            groups = 0;
            if (withShared)
            {
                _backend.SiluMul(run.Gate, run.Up, rows * run.Weights.Width);
                _groups[groups++] = new MatMulGroup(run.Gate, run.Weights.Width, rows, run.Weights.Down, run.Output, hiddenSize);
            }

            for (int e = 0; e < slots; e++)
            {
                int start = _offsets[e];
                int n = _offsets[e + 1] - start;
                if (n > 0)
                {
                    FeedForwardWeights expert = e < experts.Length ? experts[e] : replacements[e - experts.Length];
                    _groups[groups++] = new MatMulGroup(gate + (long)start * _width, _width, n, expert.Down, down + (long)start * hiddenSize, hiddenSize);
                }
            }

            _backend.MatMulGroups(_groups.AsSpan(0, groups));
            Array.Clear(_groups, 0, groups);
            for (int i = 0; i < assignments.Length; i++)
            {
                ExpertAssignment a = assignments[_order[i]];
                _backend.Axpy(o + (long)a.Row * hiddenSize, a.Weight, down + (long)i * hiddenSize, hiddenSize);
            }
        }
    }

    private void EnsureCapacity(int rows)
    {
        if (rows <= _capacityRows)
        {
            return;
        }

        _capacityRows = Math.Max(rows, _capacityRows * 2);
        _input?.Dispose();
        _gateUp?.Dispose();
        _output?.Dispose();
        _input = new NativeBuffer<float>((long)_capacityRows * _hiddenSize);
        _gateUp = new NativeBuffer<float>(2L * _capacityRows * _width);
        _output = new NativeBuffer<float>((long)_capacityRows * _hiddenSize);
    }

    public void Dispose()
    {
        foreach (FeedForwardWeights[]? layer in _layers)
        {
            if (layer is null)
            {
                continue;
            }

            foreach (FeedForwardWeights expert in layer)
            {
                expert.Dispose();
            }
        }

        _input?.Dispose();
        _gateUp?.Dispose();
        _output?.Dispose();
    }
}
