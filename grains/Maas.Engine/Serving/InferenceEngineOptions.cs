namespace Maas.Engine.Serving;

public sealed record InferenceEngineOptions
{
    /// <summary>Hugging Face model folder (config.json, *.safetensors, tokenizer.json).</summary>
    public required string ModelPath { get; init; }

    public WeightPrecision Weights { get; init; } = WeightPrecision.Native;

    /// <summary>Compute threads; 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Sequences in one continuous batch.</summary>
    public int MaxBatchSequences { get; init; } = 16;

    /// <summary>Tokens of one step (prefill chunks plus decode tokens).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>KV cache capacity in tokens over all sequences.</summary>
    public int KvCacheTokens { get; init; } = 32768;

    /// <summary>Element type of the latent KV cache; F32 only for exact comparisons.</summary>
    public KvCache.KvCacheElementType KvCache { get; init; } = Maas.Engine.KvCache.KvCacheElementType.Bf16;

    /// <summary>
    /// Called on the scheduler thread after every forward step with (sequences, tokens) of that step, for
    /// batch-size metrics. Must be quick and must not block.
    /// </summary>
    public Action<int, int>? StepObserver { get; init; }

    /// <summary>Told as the checkpoint loads (see <see cref="Model.ModelLoadOptions.Progress"/>).</summary>
    public IProgress<Model.ModelLoadProgress>? LoadProgress { get; init; }

    /// <summary>The kernels' instruction set (null: MAAS_ENGINE_SIMD, else the widest the CPU supports).</summary>
    public Kernels.SimdLevel? Simd { get; init; }

    /// <summary>Caps the model's context length (0 keeps the model's).</summary>
    public int MaxContextLength { get; init; }

    /// <summary>Requests waiting for a batch slot at most; one more is refused at once (<see cref="GenerationRefusal.QueueFull"/>).</summary>
    public int MaxQueuedSequences { get; init; } = 256;

    /// <summary>Longest wait for a batch slot unless the request sets its own (<see cref="GenerationRequest.QueueTimeout"/>).</summary>
    public TimeSpan MaxQueueWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a waiting request whose KV does not fit the free pages lets smaller requests behind it start first. Past
    /// this, admission holds back everything else of its class until enough pages are free for it, so a large request
    /// is delayed by small ones but never starved by them.
    /// </summary>
    public TimeSpan KvBypassWait { get; init; } = TimeSpan.FromSeconds(2);
}
