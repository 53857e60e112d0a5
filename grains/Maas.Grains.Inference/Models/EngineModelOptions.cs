using System.ComponentModel.DataAnnotations;
using Maas.Engine;
using Maas.Infrastructure.Models;

namespace Maas.Grains.Inference.Models;

/// <summary>A served model ("Maas:Models:{i}") as a worker silo runs it: the shared entry plus the engine's sizing.</summary>
public sealed class EngineModelOptions : ServedModelOptions
{
    public WeightPrecision Weights { get; set; } = WeightPrecision.Native;

    /// <summary>Engine compute threads; 0 means one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    [Range(1, 4096)]
    public int MaxBatchSequences { get; set; } = 16;

    [Range(1, 1 << 20)]
    public int MaxBatchTokens { get; set; } = 512;

    [Range(1, int.MaxValue)]
    public int KvCacheTokens { get; set; } = 32768;
}
