using Maas.Engine.Kernels;
using Maas.Engine.Weights;

namespace Maas.Engine.Experts;

/// <summary>
/// The base model's routed experts, in-process: assignments are grouped per expert and each
/// touched expert runs once per layer per step as a small batched matmul over its token rows.
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

    public void Accumulate(int layer, ReadOnlySpan<float> hidden, int hiddenSize, ReadOnlySpan<ExpertAssignment> assignments, Span<float> output)
    {
        if (hiddenSize != _hiddenSize)
        {
            throw new ArgumentException($"hidden size {hiddenSize} does not match the experts' {_hiddenSize}", nameof(hiddenSize));
        }

        FeedForwardWeights[] experts = _layers[layer] ?? throw new ArgumentException($"layer {layer} has no routed experts", nameof(layer));
        if (_counts.Length < experts.Length)
        {
            _counts = new int[experts.Length];
            _offsets = new int[experts.Length + 1];
        }

        if (_order.Length < assignments.Length)
        {
            _order = new int[Math.Max(assignments.Length, _order.Length * 2)];
        }

        // Counting sort of the assignments by expert.
        Array.Clear(_counts, 0, experts.Length);
        foreach (ExpertAssignment a in assignments)
        {
            if ((uint)a.Expert >= (uint)experts.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(assignments), $"expert {a.Expert} does not exist in layer {layer}");
            }

            _counts[a.Expert]++;
        }

        _offsets[0] = 0;
        for (int e = 0; e < experts.Length; e++)
        {
            _offsets[e + 1] = _offsets[e] + _counts[e];
            _counts[e] = _offsets[e];
        }

        for (int i = 0; i < assignments.Length; i++)
        {
            _order[_counts[assignments[i].Expert]++] = i;
        }

        fixed (float* h = hidden)
        fixed (float* o = output)
        {
            for (int e = 0; e < experts.Length; e++)
            {
                int start = _offsets[e];
                int n = _offsets[e + 1] - start;
                if (n == 0)
                {
                    continue;
                }

                EnsureCapacity(n);
                float* x = _input!.Pointer;
                for (int i = 0; i < n; i++)
                {
                    ExpertAssignment a = assignments[_order[start + i]];
                    new ReadOnlySpan<float>(h + (long)a.Row * hiddenSize, hiddenSize).CopyTo(new Span<float>(x + (long)i * hiddenSize, hiddenSize));
                }

                FeedForwardWeights expert = experts[e];
                TouchedBytes += expert.ByteLength;
                // Gate rows in the first half of _gateUp, up rows in the second (one dispatch for both).
                float* gate = _gateUp!.Pointer;
                long upOffset = (long)_capacityRows * _width;
                _backend.MatMulHeads(x, hiddenSize, 0, n, expert.GateUp, gate, _width, upOffset);
                for (int i = 0; i < n; i++)
                {
                    _backend.SiluMul(gate + (long)i * _width, gate + upOffset + (long)i * _width, expert.Width);
                }

                _backend.MatMul(gate, _width, n, expert.Down, _output!.Pointer, hiddenSize);
                for (int i = 0; i < n; i++)
                {
                    ExpertAssignment a = assignments[_order[start + i]];
                    _backend.Axpy(o + (long)a.Row * hiddenSize, a.Weight, _output.Pointer + (long)i * hiddenSize, hiddenSize);
                }
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
