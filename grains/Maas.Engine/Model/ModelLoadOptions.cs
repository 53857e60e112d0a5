namespace Maas.Engine.Model;

public sealed record ModelLoadOptions
{
    /// <summary>How weights are held in memory (Native keeps the checkpoint dtype).</summary>
    public WeightPrecision Weights { get; init; } = WeightPrecision.Native;

    /// <summary>Compute threads (the caller's thread counts as one); 0 means one per core.</summary>
    public int Threads { get; init; }

    /// <summary>Most token rows one Forward step may carry (prefill chunks plus decode tokens).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Most sequences one step may carry.</summary>
    public int MaxBatchSequences { get; init; } = 64;

    /// <summary>Longest sequence (0: the config's max_position_embeddings).</summary>
    public int MaxContextLength { get; init; }

    /// <summary>
    /// Told after every tensor read (on the loading thread) and once when the model is ready; for progress bars,
    /// progress log lines and load gauges. Loading a large checkpoint takes minutes.
    /// </summary>
    public IProgress<ModelLoadProgress>? Progress { get; init; }

    /// <summary>
    /// The kernels' instruction set (null: MAAS_ENGINE_SIMD, else the widest the CPU supports). A level the CPU
    /// lacks is refused at load.
    /// </summary>
    public Kernels.SimdLevel? Simd { get; init; }

    /// <summary>MLA's form per batch entry: chosen by cost (default), or forced by tests.</summary>
    internal MlaForm AttentionForm { get; init; } = MlaForm.Auto;

    /// <summary>Use the single-threaded scalar reference kernels (tests compare against them).</summary>
    internal bool UseScalarKernels { get; init; }
}
