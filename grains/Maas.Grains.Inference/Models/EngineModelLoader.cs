using System.Diagnostics;
using Maas.Engine.Kernels;
using Maas.Engine.Serving;
using Microsoft.Extensions.Logging;

namespace Maas.Grains.Inference.Models;

/// <summary>
/// Loads checkpoints with <see cref="InferenceEngine.Load"/> on a dedicated thread (loading maps and may re-quantize
/// gigabytes), logging the CPU, the kernel path of each family and the load's progress, and exporting both as metrics.
/// </summary>
public sealed partial class EngineModelLoader(ILogger<EngineModelLoader> logger) : IModelLoader
{
    public Task<ITextGenerator> LoadAsync(EngineModelOptions model, CancellationToken cancellationToken)
    {
        KernelPaths kernels = KernelPaths.For();
        LogKernels(logger, model.Id, SimdSupport.CpuFeatures(), kernels.ToString());
        ReplicaMetrics.Kernels(model.Id, kernels);
        ReplicaMetrics.LoadProgress(model.Id, 0);
        var options = new InferenceEngineOptions
        {
            ModelPath = model.Path,
            Weights = model.Weights,
            Threads = model.Threads,
            MaxBatchSequences = model.MaxBatchSequences,
            MaxBatchTokens = model.MaxBatchTokens,
            KvCacheTokens = model.KvCacheTokens,
            MaxQueuedSequences = model.MaxQueuedSequences,
            MaxQueueWait = model.MaxQueueWait,
            KvBypassWait = model.KvBypassWait,
            MaxContextLength = model.MaxContextLength,
            StepObserver = ReplicaMetrics.StepObserver(model.Id),
            LoadProgress = new ModelLoadProgressReporter(model.Id, logger),
            Simd = kernels.Level,
        };
        return Task.Factory.StartNew<ITextGenerator>(
            () =>
            {
                var watch = Stopwatch.StartNew();
                var engine = InferenceEngine.Load(options);
                LogLoaded(logger, model.Id, watch.Elapsed.TotalSeconds, engine.Kernels.ToString());
                return engine;
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: CPU vector features {Features}; kernels {Kernels}")]
    private static partial void LogKernels(ILogger logger, string model, string features, string kernels);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: engine ready in {Seconds:F1} s ({Kernels})")]
    private static partial void LogLoaded(ILogger logger, string model, double seconds, string kernels);
}
