namespace Maas.Infrastructure.Metering;

/// <summary>
/// What one admitted request consumed (docs/architecture.md §5). The generation pipeline builds one at the end
/// of every admitted request, whatever its entry point (api, plant, batch).
/// </summary>
public sealed record UsageRecord
{
    public required string RequestId { get; init; }

    public required string TenantId { get; init; }

    public required string KeyId { get; init; }

    public required string Model { get; init; }

    /// <summary>Tenant fine-tune the request ran with; none yet.</summary>
    public string? FineTune { get; init; }

    public required string Endpoint { get; init; }

    public int PromptTokens { get; init; }

    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public TimeSpan? TimeToFirstToken { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>completed, cancelled (client went away) or failed.</summary>
    public required string Outcome { get; init; }
}
