namespace Maas.Plant.Sparkplug;

/// <summary>A metric's latest value as text, with the time the edge node stamped it (UTC).</summary>
public sealed record MetricValue(string Name, string Value, DateTimeOffset Timestamp);
