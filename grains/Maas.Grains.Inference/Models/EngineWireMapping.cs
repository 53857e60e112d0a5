using Maas.Engine.Serving;
using Maas.Grains.Abstractions.Models;

namespace Maas.Grains.Inference.Models;

/// <summary>Maps between the engine's types and the grain wire records (the engine stays out of the abstractions).</summary>
public static class EngineWireMapping
{
    public static GenerationRequest ToEngine(this GenerateCommand command, Engine.Experts.FineTuneExperts? fineTune = null) => new()
    {
        FineTune = fineTune,
        RequestId = command.RequestId,
        PromptTokens = command.PromptTokens,
        MaxTokens = command.MaxTokens,
        Stop = command.Stop,
        StopAtEos = !command.IgnoreEos,
        Priority = command.Batch ? GenerationPriority.Batch : GenerationPriority.Interactive,
        SkipSpecialTokens = command.SkipSpecialTokens,
        TenantId = command.TenantId,
        TenantWeight = command.TenantWeight,
        Sampling = new SamplingParameters
        {
            Temperature = command.Sampling.Temperature,
            TopP = command.Sampling.TopP,
            TopK = command.Sampling.TopK,
            Seed = command.Sampling.Seed,
            PresencePenalty = command.Sampling.PresencePenalty,
            FrequencyPenalty = command.Sampling.FrequencyPenalty,
            Logprobs = command.Sampling.Logprobs,
            TopLogprobs = command.Sampling.TopLogprobs,
            LogitBias = command.Sampling.LogitBias is { } bias ? [.. bias] : [],
        },

        // Compiled once per process per constraint (OutputConstraint's cache); the engine pairs it with its vocabulary once.
        Grammar = command.Constraint?.Compile(),
    };

    public static TokenChunk ToWire(this GenerationEvent e) => new()
    {
        TokenId = e.TokenId,
        Text = e.Text,
        Logprob = e.Logprob,
        TopLogprobs = e.TopLogprobs?.Select(t => new TokenAlternative(t.TokenId, t.Text, t.Logprob)).ToArray(),
        Finish = e.Finish?.ToWire(),
        PromptTokens = e.PromptTokens,
        CachedPromptTokens = e.CachedPromptTokens,
        CompletionTokens = e.CompletionTokens,
    };

    public static GenerationFinish ToWire(this FinishReason finish) => finish switch
    {
        FinishReason.Stop => GenerationFinish.Stop,
        FinishReason.Length => GenerationFinish.Length,
        FinishReason.Cancelled => GenerationFinish.Cancelled,
        FinishReason.ContextFull => GenerationFinish.ContextFull,
        _ => throw new ArgumentOutOfRangeException(nameof(finish), finish, null),
    };

    public static ReplicaRefusal ToWire(this GenerationRefusal refusal) => refusal switch
    {
        GenerationRefusal.ExceedsKvCache => ReplicaRefusal.ExceedsKvCache,
        GenerationRefusal.QueueFull => ReplicaRefusal.QueueFull,
        GenerationRefusal.QueueTimeout => ReplicaRefusal.QueueTimeout,
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, null),
    };

    public static ModelInfo ToWire(this ModelDescription model) =>
        new(model.Architecture, model.VocabSize, model.ContextLength, [.. model.EosTokenIds], model.ParameterCount, model.KvCacheTokens);
}
