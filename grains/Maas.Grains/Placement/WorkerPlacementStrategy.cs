using Orleans.Runtime;

namespace Maas.Grains.Placement;

/// <summary>Places a grain only on silos whose metadata role is "worker", preferring those configured for its model.</summary>
[GenerateSerializer, Immutable, Alias("Maas.WorkerPlacementStrategy")]
public sealed class WorkerPlacementStrategy : PlacementStrategy
{
    public static WorkerPlacementStrategy Instance { get; } = new();
}
