namespace Maas.Api.Usage;

/// <summary>What one admitted request consumed (ARCHITECTURE §5). Built at the end of every generation.</summary>
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
