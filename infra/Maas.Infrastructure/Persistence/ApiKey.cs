namespace Maas.Infrastructure.Persistence;

/// <summary>An API key. Only the SHA-256 of the secret and a short display prefix are stored.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }

    public required string TenantId { get; set; }

    public Tenant? Tenant { get; set; }

    public string Name { get; set; } = "";

    /// <summary>First characters of the secret, for people to recognise a key ("sk-maas-AbCd").</summary>
    public required string DisplayPrefix { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole secret; unique.</summary>
    public required string SecretHash { get; set; }

    /// <summary>Per-key limit; null falls back to the tenant's.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Spend allowed to this key per calendar month (UTC), within the tenant's; null is no key limit.</summary>
    public decimal? MonthlyBudget { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
