using System.ComponentModel.DataAnnotations;
using Maas.Engine;

namespace Maas.Grains.Models;

/// <summary>One served model ("Maas:Models:{i}"): its public id, checkpoint folder and engine sizing.</summary>
public sealed class ModelEntryOptions
{
    [Required]
    public string Id { get; set; } = "";

    /// <summary>Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer files).</summary>
    [Required]
    public string Path { get; set; } = "";

    /// <summary>Replica grains the api spreads requests over ("{id}/0" .. "{id}/{Replicas-1}").</summary>
    [Range(1, 1024)]
    public int Replicas { get; set; } = 1;

    public string OwnedBy { get; set; } = "maas";

    /// <summary>Caps the model's context length; 0 keeps the checkpoint's.</summary>
    [Range(0, int.MaxValue)]
    public int MaxContextLength { get; set; }

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
