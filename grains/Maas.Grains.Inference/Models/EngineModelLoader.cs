using Maas.Engine.Serving;

namespace Maas.Grains.Inference.Models;

/// <summary>Loads checkpoints with <see cref="InferenceEngine.Load"/> on a dedicated thread (loading maps and may re-quantize gigabytes).</summary>
public sealed class EngineModelLoader : IModelLoader
{
    public Task<ITextGenerator> LoadAsync(EngineModelOptions model, CancellationToken cancellationToken)
    {
        var options = new InferenceEngineOptions
        {
            ModelPath = model.Path,
            Weights = model.Weights,
            Threads = model.Threads,
            MaxBatchSequences = model.MaxBatchSequences,
            MaxBatchTokens = model.MaxBatchTokens,
            KvCacheTokens = model.KvCacheTokens,
            MaxContextLength = model.MaxContextLength,
            StepObserver = ReplicaMetrics.StepObserver(model.Id),
        };
        return Task.Factory.StartNew<ITextGenerator>(
            () => InferenceEngine.Load(options),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }
}
