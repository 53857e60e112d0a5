namespace Maas.Engine.Experts;

/// <summary>
/// A MoE layer's shared experts, run for every row of the batch alongside the routed ones
/// (<see cref="LocalExpertHost"/>): gate and up land in <see cref="Gate"/> and <see cref="Up"/>
/// ([rows, Width] each), the result in <see cref="Output"/> ([rows, hidden]).
/// </summary>
internal readonly unsafe struct SharedExpertRun(FeedForwardWeights weights, float* gate, float* up, float* output)
{
    public FeedForwardWeights Weights { get; } = weights;

    public float* Gate { get; } = gate;

    public float* Up { get; } = up;

    public float* Output { get; } = output;
}
