namespace Maas.Plant.Mqtt;

/// <summary>A key check: <see cref="RefusedBecause"/> is null for a usable key (then the rest is set).</summary>
public sealed record PlantKeyCheckResult(string? RefusedBecause, string TenantId, Guid KeyId, int KeyRequestsPerMinute, int TenantRequestsPerMinute)
{
    public static PlantKeyCheckResult Refused(string reason) => new(reason, "", Guid.Empty, 0, 0);
}
