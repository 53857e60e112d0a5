using Maas.Engine.Weights;

namespace Maas.Engine.Experts;

/// <summary>A SwiGLU MLP: down(silu(gate(x)) · up(x)). Used for dense layers, shared experts and routed experts.</summary>
internal sealed class FeedForwardWeights(WeightMatrix gate, WeightMatrix up, WeightMatrix down) : IDisposable
{
    public WeightMatrix Gate { get; } = gate;

    public WeightMatrix Up { get; } = up;

    public WeightMatrix Down { get; } = down;

    /// <summary>[Gate, Up], for one MatMulHeads dispatch over the same input.</summary>
    public WeightMatrix[] GateUp { get; } = [gate, up];

    public int Width => Gate.Rows;

    public long ByteLength => Gate.ByteLength + Up.ByteLength + Down.ByteLength;

    public void Dispose()
    {
        Gate.Dispose();
        Up.Dispose();
        Down.Dispose();
    }
}
