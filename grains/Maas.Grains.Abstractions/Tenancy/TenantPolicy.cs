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
    /// <summary>
    /// The tenant's weight in the engines' round-robin across tenants (from its plan, <c>Maas:Tenancy:SchedulingWeights</c>):
    /// while tenants compete for batch slots, one of weight 2 is admitted twice as often as one of weight 1.
    /// </summary>
    [Id(5)]
    public int SchedulingWeight { get; init; } = 1;

    /// <summary>An empty allowed list means every enabled model.</summary>
    public bool Allows(string model) =>
        Exists && !Disabled && (AllowedModels.Count == 0 || AllowedModels.Contains(model, StringComparer.Ordinal));
}
