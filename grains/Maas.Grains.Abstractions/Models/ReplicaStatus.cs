namespace Maas.Grains.Abstractions.Models;

/// <summary>A replica's placement and load, for routing and diagnostics.</summary>
[GenerateSerializer, Immutable, Alias("Maas.ReplicaStatus")]
public sealed record ReplicaStatus
{
    [Id(0)]
    public required string Model { get; init; }

    [Id(1)]
    public required int Replica { get; init; }

    /// <summary>The silo the activation lives on.</summary>
    [Id(2)]
    public required string SiloAddress { get; init; }

    /// <summary>The hosting silo's role (see <see cref="Placement.SiloRoles"/>).</summary>
    [Id(3)]
    public required string SiloRole { get; init; }

    /// <summary>Loading, Ready or Failed.</summary>
    [Id(4)]
    public required ModelLoadState LoadState { get; init; }

    [Id(5)]
    public string? LoadError { get; init; }

    [Id(6)]
    public ModelInfo? Description { get; init; }

    [Id(7)]
    public int ActiveSequences { get; init; }

    [Id(8)]
    public int QueuedSequences { get; init; }
}
