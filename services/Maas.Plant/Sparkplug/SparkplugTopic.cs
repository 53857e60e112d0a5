namespace Maas.Plant.Sparkplug;

/// <summary>
/// A Sparkplug B topic, <c>spBv1.0/{group}/{message type}/{edge node}[/{device}]</c>, as published by a tenant's edge
/// node (plainly, or under the tenant's own prefix <c>maas/{tenant}/spBv1.0/…</c>).
/// </summary>
public sealed record SparkplugTopic(string Group, string MessageType, string Node, string? Device)
{
    public const string Namespace = "spBv1.0";

    private static readonly HashSet<string> MessageTypes = ["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD", "STATE"];

    /// <summary>Parses the part from "spBv1.0" on; null when it is not a Sparkplug B topic.</summary>
    public static SparkplugTopic? TryParse(string topic)
    {
        var parts = topic.Split('/');
        if (parts.Length is < 4 or > 5 || parts[0] != Namespace || !MessageTypes.Contains(parts[2]) || parts.Any(p => p.Length == 0))
        {
            return null;
        }

        var isDeviceMessage = parts[2][0] == 'D';
        if (isDeviceMessage != (parts.Length == 5))
        {
            return null;
        }

        return new SparkplugTopic(parts[1], parts[2], parts[3], isDeviceMessage ? parts[4] : null);
    }
}
