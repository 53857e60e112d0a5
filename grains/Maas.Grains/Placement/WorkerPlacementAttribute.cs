using Orleans.Placement;

namespace Maas.Grains.Placement;

/// <summary>Marks a grain class for <see cref="WorkerPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class WorkerPlacementAttribute() : PlacementAttribute(WorkerPlacementStrategy.Instance);
