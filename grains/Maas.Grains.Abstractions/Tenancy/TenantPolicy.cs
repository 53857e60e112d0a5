namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>A tenant's policy as loaded from the tenants table.</summary>
[GenerateSerializer, Immutable, Alias("Maas.TenantPolicy")]
public sealed record TenantPolicy(
    [property: Id(0)] string TenantId,
    [property: Id(1)] bool Exists,
    [property: Id(2)] bool Disabled,
    [property: Id(3)] IReadOnlyList<string> AllowedModels,
    [property: Id(4)] int MaxConcurrentRequests)
{
    /// <summary>An empty allowed list means every enabled model.</summary>
    public bool Allows(string model) =>
        Exists && !Disabled && (AllowedModels.Count == 0 || AllowedModels.Contains(model, StringComparer.Ordinal));
}
