namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A row of usage_events: one admitted request, written once (docs/architecture.md §5). The table is partitioned
/// by month of <see cref="ReceivedAt"/>, and PostgreSQL requires the partition key in the primary key, so the key is
/// (request id, received at): both are fixed when the request arrives and copied verbatim by every retry and spill
/// replay, so the pair identifies exactly the records the request id alone does.
/// </summary>
public sealed class UsageEvent
{
    public required string RequestId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public required string TenantId { get; set; }

    public required string KeyId { get; set; }

    public required string Model { get; set; }

    /// <summary>Digest of the checkpoint files that answered (from the worker); null when no worker answered.</summary>
    public string? WeightsDigest { get; set; }

    public string? FineTune { get; set; }

    public int? FineTuneVersion { get; set; }

    /// <summary>api, batch or plant.</summary>
    public required string Source { get; set; }

    public required string Endpoint { get; set; }

    public int PromptTokens { get; set; }

    public int CachedPromptTokens { get; set; }

    public int CompletionTokens { get; set; }

    public DateTimeOffset? FirstTokenAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    /// <summary>stop, length, cancelled, context_full, error or rejected.</summary>
    public required string FinishReason { get; set; }

    /// <summary>The price-book row that priced the record; null (and every cost null) when none was in effect.</summary>
    public long? PriceId { get; set; }

    public string? Currency { get; set; }

    public decimal? InputCacheMissCost { get; set; }

    public decimal? InputCacheHitCost { get; set; }

    public decimal? OutputCost { get; set; }

    public decimal? Cost { get; set; }

    /// <summary>When PostgreSQL committed the row (later than <see cref="FinishedAt"/> for records replayed from a spill).</summary>
    public DateTimeOffset RecordedAt { get; set; }
}
