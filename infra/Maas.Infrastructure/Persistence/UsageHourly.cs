namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A row of usage_hourly: usage per tenant, key, model, fine-tune and UTC hour, added to in the same statement that
/// inserts the events (only the events that were new), so it always equals the sum of usage_events.
/// </summary>
public sealed class UsageHourly
{
    public required string TenantId { get; set; }

    public required string KeyId { get; set; }

    public required string Model { get; set; }

    /// <summary>"" for the base model (a key column cannot be null).</summary>
    public string FineTune { get; set; } = "";

    public DateTimeOffset Hour { get; set; }

    public long Requests { get; set; }

    public long PromptTokens { get; set; }

    public long CachedPromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public decimal InputCacheMissCost { get; set; }

    public decimal InputCacheHitCost { get; set; }

    public decimal OutputCost { get; set; }

    public decimal Cost { get; set; }

    /// <summary>Requests recorded without a price (no price in effect): an invoice refuses to cover them.</summary>
    public long UnpricedRequests { get; set; }
}
