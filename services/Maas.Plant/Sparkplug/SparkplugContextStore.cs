using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using Maas.Plant.Sparkplug.Protocol;

namespace Maas.Plant.Sparkplug;

/// <summary>
/// The latest Sparkplug B metric values per tenant, edge node and device, kept in memory from the messages the tenant's
/// edge nodes publish: BIRTH defines metric names and aliases (and, for nodes, the bdSeq), DATA updates values by name
/// or alias, DEATH marks values stale (an NDEATH only when its bdSeq is the current BIRTH's), and each message's seq is
/// checked against the previous one. Tenants never see each other's nodes: the tenant is the publishing connection's.
/// </summary>
public sealed class SparkplugContextStore(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Tenant, string Group, string Node), EdgeNodeState> _nodes = new();

    public SparkplugOutcome Apply(string tenantId, SparkplugTopic topic, ReadOnlySpan<byte> payload)
    {
        if (topic.MessageType is "NCMD" or "DCMD" or "STATE")
        {
            return SparkplugOutcome.IgnoredMessageType;
        }

        Payload message;
        try
        {
            message = Payload.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return SparkplugOutcome.Malformed;
        }

        var node = _nodes.GetOrAdd((tenantId, topic.Group, topic.Node), _ => new EdgeNodeState());
        lock (node.Sync)
        {
            return topic.MessageType switch
            {
                "NBIRTH" => NodeBirth(node, message),
                "NDEATH" => NodeDeath(node, message),
                _ => Other(node, topic, message),
            };
        }
    }

    /// <summary>
    /// The named devices' current values: "node/device", "group/node/device", "node" or "group/node" (the node's own
    /// metrics). Unknown names come back with <see cref="DeviceSnapshot.Known"/> false.
    /// </summary>
    public IReadOnlyList<DeviceSnapshot> Snapshot(string tenantId, IEnumerable<string> names) => [.. names.Select(name => Find(tenantId, name))];

    private DeviceSnapshot Find(string tenantId, string name)
    {
        var parts = name.Split('/');
        foreach (var ((tenant, group, nodeId), node) in _nodes)
        {
            if (tenant != tenantId)
            {
                continue;
            }

            string? device = parts.Length switch
            {
                1 when parts[0] == nodeId => null,
                2 when parts[0] == group && parts[1] == nodeId => null,
                2 when parts[0] == nodeId => parts[1],
                3 when parts[0] == group && parts[1] == nodeId => parts[2],
                _ => "\0",
            };
            if (device == "\0")
            {
                continue;
            }

            lock (node.Sync)
            {
                var state = device is null ? node.Node : node.Devices.GetValueOrDefault(device);
                if (state is null || !state.Born)
                {
                    continue;
                }

                var staleSince = node.StaleSince ?? state.StaleSince;
                return new DeviceSnapshot(name, true, staleSince is not null, staleSince, [.. state.Metrics.Values.OrderBy(m => m.Name, StringComparer.Ordinal)]);
            }
        }

        return new DeviceSnapshot(name, false, false, null, []);
    }

    private SparkplugOutcome NodeBirth(EdgeNodeState node, Payload message)
    {
        node.Born = true;
        node.StaleSince = null;
        node.LastSeq = message.Seq;
        node.BdSeq = message.Metrics.FirstOrDefault(m => m.Name == "bdSeq") is { } bdSeq ? IntegerOf(bdSeq) : null;
        node.Aliases.Clear();
        node.Node.Metrics.Clear();
        node.Node.Born = true;
        node.Node.StaleSince = null;

        // A new session of the node: its devices' values stay until their own BIRTH, but no longer live.
        foreach (var device in node.Devices.Values)
        {
            device.StaleSince ??= time.GetUtcNow();
        }

        Record(node, node.Node, message, defineAliases: true);
        return SparkplugOutcome.Applied;
    }

    private SparkplugOutcome NodeDeath(EdgeNodeState node, Payload message)
    {
        if (!node.Born)
        {
            return SparkplugOutcome.IgnoredBeforeBirth;
        }

        var bdSeq = message.Metrics.FirstOrDefault(m => m.Name == "bdSeq") is { } metric ? IntegerOf(metric) : null;
        if (node.BdSeq is { } current && bdSeq is { } dead && current != dead)
        {
            return SparkplugOutcome.IgnoredStaleDeath;
        }

        node.StaleSince = time.GetUtcNow();
        return SparkplugOutcome.Applied;
    }

    private SparkplugOutcome Other(EdgeNodeState node, SparkplugTopic topic, Payload message)
    {
        if (!node.Born || node.StaleSince is not null)
        {
            return SparkplugOutcome.IgnoredBeforeBirth;
        }

        var expected = (node.LastSeq + 1) % 256;
        var gap = message.HasSeq && message.Seq != expected;
        if (message.HasSeq)
        {
            node.LastSeq = message.Seq;
        }

        var outcome = gap ? SparkplugOutcome.AppliedAfterSequenceGap : SparkplugOutcome.Applied;
        switch (topic.MessageType)
        {
            case "NDATA":
                Record(node, node.Node, message, defineAliases: false);
                return outcome;
            case "DBIRTH":
                var born = new DeviceState { Born = true };
                node.Devices[topic.Device!] = born;
                Record(node, born, message, defineAliases: true);
                return outcome;
        }

        if (!node.Devices.TryGetValue(topic.Device!, out var device) || !device.Born)
        {
            return SparkplugOutcome.IgnoredBeforeBirth;
        }

        if (topic.MessageType == "DDEATH")
        {
            device.StaleSince = time.GetUtcNow();
        }
        else
        {
            Record(node, device, message, defineAliases: false);
        }

        return outcome;
    }

    private static void Record(EdgeNodeState node, DeviceState state, Payload message, bool defineAliases)
    {
        foreach (var metric in message.Metrics)
        {
            var name = metric.HasName && metric.Name.Length > 0 ? metric.Name : null;
            if (metric.HasAlias)
            {
                if (defineAliases && name is not null)
                {
                    node.Aliases[metric.Alias] = name;
                }
                else
                {
                    name ??= node.Aliases.GetValueOrDefault(metric.Alias);
                }
            }

            if (name is null || name == "bdSeq")
            {
                continue;
            }

            var stamp = metric.HasTimestamp ? metric.Timestamp : message.Timestamp;
            state.Metrics[name] = new MetricValue(name, Text(metric), DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(stamp, (ulong)long.MaxValue)));
        }
    }

    private static ulong? IntegerOf(Payload.Types.Metric metric) => metric.ValueCase switch
    {
        Payload.Types.Metric.ValueOneofCase.LongValue => metric.LongValue,
        Payload.Types.Metric.ValueOneofCase.IntValue => metric.IntValue,
        _ => null,
    };

    /// <summary>The value as a prompt shows it; signed types are stored two's-complement in the unsigned fields.</summary>
    private static string Text(Payload.Types.Metric metric)
    {
        if (metric.IsNull)
        {
            return "null";
        }

        var type = (SparkplugDataType)metric.Datatype;
        var invariant = CultureInfo.InvariantCulture;
        return metric.ValueCase switch
        {
            Payload.Types.Metric.ValueOneofCase.IntValue => type switch
            {
                SparkplugDataType.Int8 => ((sbyte)metric.IntValue).ToString(invariant),
                SparkplugDataType.Int16 => ((short)metric.IntValue).ToString(invariant),
                SparkplugDataType.Int32 => ((int)metric.IntValue).ToString(invariant),
                _ => metric.IntValue.ToString(invariant),
            },
            Payload.Types.Metric.ValueOneofCase.LongValue => type switch
            {
                SparkplugDataType.Int64 => ((long)metric.LongValue).ToString(invariant),
                SparkplugDataType.DateTime => DateTimeOffset.FromUnixTimeMilliseconds((long)metric.LongValue).ToString("O", invariant),
                _ => metric.LongValue.ToString(invariant),
            },
            Payload.Types.Metric.ValueOneofCase.FloatValue => metric.FloatValue.ToString("G7", invariant),
            Payload.Types.Metric.ValueOneofCase.DoubleValue => metric.DoubleValue.ToString("G15", invariant),
            Payload.Types.Metric.ValueOneofCase.BooleanValue => metric.BooleanValue ? "true" : "false",
            Payload.Types.Metric.ValueOneofCase.StringValue => metric.StringValue,
            Payload.Types.Metric.ValueOneofCase.BytesValue => $"<{metric.BytesValue.Length} bytes>",
            _ => "unsupported",
        };
    }
}
