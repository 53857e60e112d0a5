namespace Maas.Plant.Sparkplug;

/// <summary>
/// What a request's context gets for one device (or edge node): its latest metric values, and whether they are stale
/// (the node or device sent DEATH, or the node's connection to the broker ended, since they were reported).
/// </summary>
public sealed record DeviceSnapshot(string Name, bool Known, bool Stale, DateTimeOffset? StaleSince, IReadOnlyList<MetricValue> Metrics);
