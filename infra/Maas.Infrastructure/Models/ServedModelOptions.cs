using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Models;

/// <summary>
/// One served model ("Maas:Models:{i}") as every silo sees it: its public id, checkpoint folder, replica count
/// and context cap. Worker silos bind the same entries with their engine sizing added (EngineModelOptions in
/// Maas.Grains.Inference), so the api never sees engine types.
/// </summary>
public class ServedModelOptions
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

    /// <summary>
    /// Whether special-token strings in a /v1/completions prompt become control tokens (off: the prompt is plain
    /// text, like chat content always is). Only for trusted callers: serve the checkpoint under a second model id
    /// with this on and allow that id only to the tenants who need raw prompts.
    /// </summary>
    public bool SpecialTokensInPrompts { get; set; }
}
