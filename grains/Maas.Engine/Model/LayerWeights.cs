using Maas.Engine.Experts;
using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>One decoder layer: norms, MLA, and either a dense MLP or a MoE router plus shared experts.</summary>
internal sealed class LayerWeights : IDisposable
{
    public required float[] InputNorm { get; init; }

    public required float[] PostAttentionNorm { get; init; }

    public required AttentionWeights Attention { get; init; }

    /// <summary>Dense layers only.</summary>
    public FeedForwardWeights? Mlp { get; init; }

    /// <summary>MoE layers only: router [n_routed, hidden] in f32.</summary>
    public WeightMatrix? Router { get; init; }

    /// <summary>noaux_tc only: e_score_correction_bias [n_routed].</summary>
    public float[]? RouterBias { get; init; }

    public FeedForwardWeights? SharedExperts { get; init; }

    public bool IsMoe => Router is not null;

    /// <summary>Bytes every step reads from this layer whatever the routing: attention, dense MLP or router and shared experts.</summary>
    public long DenseByteLength =>
        Attention.ByteLength + (Mlp?.ByteLength ?? 0) + (Router?.ByteLength ?? 0) + (SharedExperts?.ByteLength ?? 0);

    public void Dispose()
    {
        Attention.Dispose();
        Mlp?.Dispose();
        Router?.Dispose();
        SharedExperts?.Dispose();
    }
}
