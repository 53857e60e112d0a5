namespace Maas.Infrastructure.Persistence;

/// <summary>A customer. Policy lives here; ITenantGrain enforces it.</summary>
public sealed class Tenant
{
    /// <summary>Short stable slug, e.g. "acme-plant-3"; used in grain keys and signed headers.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }

    public string Plan { get; set; } = "standard";

    /// <summary>Model ids this tenant may call; empty means every enabled model.</summary>
    public List<string> AllowedModels { get; set; } = [];

    public int MaxConcurrentRequests { get; set; } = 16;

    public int RequestsPerMinute { get; set; } = 600;

    public bool Disabled { get; set; }

    /// <summary>Spend allowed per calendar month (UTC) in the price book's currency; null is no limit.</summary>
    public decimal? MonthlyBudget { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<ApiKey> ApiKeys { get; set; } = [];
}
