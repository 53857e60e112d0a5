namespace Maas.Plant.Sparkplug;

/// <summary>The latest metric values of an edge node or a device, and since when they are stale (null while live).</summary>
internal sealed class DeviceState
{
    public bool Born { get; set; }

    public DateTimeOffset? StaleSince { get; set; }

    public Dictionary<string, MetricValue> Metrics { get; } = new(StringComparer.Ordinal);
}
