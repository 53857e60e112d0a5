using Maas.Engine.Checkpoints;
using Maas.Engine.KvCache;
using Maas.Engine.Serving;
using Maas.Engine.Tools.Checkpoints;
using Maas.Testing;
using Xunit;

namespace Maas.Engine.Tests.Serving;

/// <summary>A tiny random DeepSeek-V2-shaped checkpoint with the real DeepSeek-V3 tokenizer, written once per test class, and an engine on it.</summary>
public sealed class RandomModelFixture : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "maas-engine-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public InferenceEngine Engine { get; private set; } = null!;

    public const int MaxBatchSequences = 8;

    public Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(Folder, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 7);
        Engine = Load();
        return Task.CompletedTask;
    }

    /// <summary>A second, independent engine on the same checkpoint (F32 KV so batched and alone agree to float noise).</summary>
    /// <param name="tune">Changes to the test defaults (queue bounds, cache size).</param>
    public InferenceEngine Load(int maxBatchSequences = MaxBatchSequences, int maxBatchTokens = 256, Action<int, int>? stepObserver = null, Func<InferenceEngineOptions, InferenceEngineOptions>? tune = null)
    {
        var options = new InferenceEngineOptions
        {
            ModelPath = Folder,
            MaxBatchSequences = maxBatchSequences,
            MaxBatchTokens = maxBatchTokens,
            KvCacheTokens = 8192,
            KvCache = KvCacheElementType.F32,
            Threads = 2,
            StepObserver = stepObserver,
        };
        return InferenceEngine.Load(tune is null ? options : tune(options));
    }

    public async Task DisposeAsync()
    {
        await Engine.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
