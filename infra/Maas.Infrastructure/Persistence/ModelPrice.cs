namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A row of the price book: what a model (or one tenant fine-tune of it) costs per million tokens from
/// <see cref="EffectiveFrom"/> until the next row of the same model and fine-tune. Rows are never edited: a
/// price change is a new row, so every usage record can name the row that priced it.
/// </summary>
public sealed class ModelPrice
{
    public long Id { get; set; }

    public required string Model { get; set; }

    /// <summary>Fine-tune id the row prices; null prices the base model (and any fine-tune without its own row).</summary>
    public string? FineTune { get; set; }

    public DateTimeOffset EffectiveFrom { get; set; }

    /// <summary>ISO 4217 code; one currency per deployment (the price book refuses a second).</summary>
    public required string Currency { get; set; }

    /// <summary>Prompt tokens computed afresh (not served from the prefix cache).</summary>
    public decimal InputCacheMissPerMillion { get; set; }

    /// <summary>Prompt tokens served from the prefix KV cache.</summary>
    public decimal InputCacheHitPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }

    /// <summary>Fraction taken off batch-job usage: 0.5 halves it, 0 is no discount.</summary>
    public decimal BatchDiscount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
