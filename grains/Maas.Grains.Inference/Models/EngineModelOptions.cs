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

    /// <summary>Requests waiting for a batch slot at most; the next one is answered 503 with Retry-After at once.</summary>
    [Range(1, 1 << 20)]
    public int MaxQueuedSequences { get; set; } = 256;

    /// <summary>Longest wait for a batch slot; past it the request is answered 503 with Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a request whose KV does not fit the free pages lets smaller ones start first (then pages are held for it).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan KvBypassWait { get; set; } = TimeSpan.FromSeconds(2);
}
