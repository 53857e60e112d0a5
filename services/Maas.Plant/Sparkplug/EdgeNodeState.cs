namespace Maas.Plant.Sparkplug;

/// <summary>
/// One edge node of a tenant as the last BIRTH and the data since describe it: its birth/death sequence number
/// (bdSeq), the last message sequence number (seq), metric aliases (unique per edge node, devices included), and the
/// latest values of the node and each of its devices. Guarded by its own lock.
/// </summary>
internal sealed class EdgeNodeState
{
    public object Sync { get; } = new();

    public bool Born { get; set; }

    public ulong? BdSeq { get; set; }

    public ulong LastSeq { get; set; }

    public DateTimeOffset? StaleSince { get; set; }

    public Dictionary<ulong, string> Aliases { get; } = [];

    public DeviceState Node { get; } = new();

    public Dictionary<string, DeviceState> Devices { get; } = new(StringComparer.Ordinal);
}
