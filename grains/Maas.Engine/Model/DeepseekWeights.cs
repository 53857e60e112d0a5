using Maas.Engine.Experts;
using Maas.Engine.Weights;

namespace Maas.Engine.Model;

/// <summary>Every weight of a DeepSeek-V2/V3 model as held in memory (made by <see cref="DeepseekWeightsLoader"/>).</summary>
internal sealed class DeepseekWeights : IDisposable
{
    public required WeightMatrix Embedding { get; init; }

    /// <summary>The same object as <see cref="Embedding"/> when the checkpoint ties them.</summary>
    public required WeightMatrix LmHead { get; init; }

    public required float[] FinalNorm { get; init; }

    public required LayerWeights[] Layers { get; init; }

    /// <summary>Per layer the routed experts, null for dense layers (owned by the local expert host once the model is built).</summary>
    public required FeedForwardWeights[]?[] RoutedExperts { get; init; }

    public required long ParameterCount { get; init; }

    /// <summary>Disposes everything but the routed experts, which the model hands to its <see cref="LocalExpertHost"/>.</summary>
    public void Dispose()
    {
        Embedding.Dispose();
        if (!ReferenceEquals(LmHead, Embedding))
        {
            LmHead.Dispose();
        }

        foreach (LayerWeights layer in Layers)
        {
            layer.Dispose();
        }
    }
}
