using System.ComponentModel.DataAnnotations;

namespace Maas.Grains.Tenancy;

/// <summary>Tenant admission tuning (configuration section "Maas:Tenancy").</summary>
public sealed class TenantGrainOptions
{
    public const string SectionName = "Maas:Tenancy";

    /// <summary>How often a tenant's policy is re-read from PostgreSQL.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PolicyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an admitted request holds its concurrency slot without being released. Longer than any
    /// real request; only matters when the api silo that admitted it died without releasing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Retry-After suggested when the concurrency limit is reached.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
