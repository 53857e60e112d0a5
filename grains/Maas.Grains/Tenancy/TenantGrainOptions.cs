using System.ComponentModel.DataAnnotations;

namespace Maas.Grains.Tenancy;

/// <summary>Tenant admission tuning (configuration section "Maas:Tenancy").</summary>
public sealed class TenantGrainOptions : IValidatableObject
{
    public const string SectionName = "Maas:Tenancy";

    /// <summary>How often a tenant's policy is re-read from PostgreSQL.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PolicyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an admitted request holds its concurrency slot without being renewed or released. The pipeline renews
    /// every third of it while the request runs, so this only bounds how long the slots of an api silo that died
    /// stay taken.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retry-After suggested when the concurrency limit is reached.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// Scheduling weight per plan (the tenants table's <c>plan</c>, e.g. "standard": 1, "premium": 4): the engines admit
    /// waiting requests round-robin across tenants, a tenant's weight in admissions per round. A plan not listed weighs 1.
    /// </summary>
    public Dictionary<string, int> SchedulingWeights { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (plan, weight) in SchedulingWeights)
        {
            if (weight is < 1 or > 1000)
            {
                yield return new ValidationResult($"The scheduling weight of plan '{plan}' is {weight}; it must be 1 to 1000.", [nameof(SchedulingWeights)]);
            }
        }
    }
}
