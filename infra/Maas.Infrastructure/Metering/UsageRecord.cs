namespace Maas.Infrastructure.Metering;

/// <summary>
/// What one admitted request consumed (docs/architecture.md §5). The generation pipeline builds exactly one at the
/// end of every admitted request, whatever its entry point (api, plant, batch), and hands it to <see cref="IUsageSink"/>
/// before the last byte of the response is written. Timestamps are UTC with microsecond precision (PostgreSQL's), so
/// a record read back, replayed from a spill or submitted twice is equal to the original.
/// </summary>
public sealed record UsageRecord
{
    /// <summary>Unique per request (the gateway's id; plant and batch ids are namespaced by their tenant).</summary>
    public required string RequestId { get; init; }

    public required string TenantId { get; init; }

    public required string KeyId { get; init; }

    public required string Model { get; init; }

    /// <summary>Digest of the checkpoint files that answered, as the worker computed it at load; null when no worker answered.</summary>
    public string? WeightsDigest { get; init; }

    /// <summary>Tenant fine-tune the request ran with; none yet.</summary>
    public string? FineTune { get; init; }

    public int? FineTuneVersion { get; init; }

    public UsageSource Source { get; init; } = UsageSource.Api;

    /// <summary>chat.completions, completions, ...</summary>
    public required string Endpoint { get; init; }

    public int PromptTokens { get; init; }

    /// <summary>Prompt tokens served from the prefix KV cache (billed at the cache-hit price).</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset? FirstTokenAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required UsageFinishReason FinishReason { get; init; }

    /// <summary>Truncates to whole microseconds, the precision PostgreSQL stores.</summary>
    public static DateTimeOffset Microseconds(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }
}
