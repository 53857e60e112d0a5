using Google.Protobuf;
using Maas.Plant.Sparkplug;
using Maas.Plant.Sparkplug.Protocol;

namespace Maas.Plant.Tests.Support;

/// <summary>
/// A test Sparkplug B edge node: builds BIRTH, DATA and DEATH payloads with the project's .proto types, numbering them
/// with seq as the specification says (NBIRTH 0, then +1 per message, modulo 256).
/// </summary>
public sealed class EdgeNode(string group, string node, ulong bdSeq = 0)
{
    private static readonly long Stamp = DateTimeOffset.Parse("2026-12-06T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
    private ulong _seq;

    public string Group => group;

    public string Node => node;

    /// <summary>The milliseconds every metric is stamped with (fixed, so a prompt's text is known in advance).</summary>
    public static DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(Stamp);

    public string Topic(string type, string? device = null) =>
        $"{SparkplugTopic.Namespace}/{group}/{type}/{node}" + (device is null ? "" : "/" + device);

    public byte[] NodeBirth(params Payload.Types.Metric[] metrics)
    {
        _seq = 0;
        return Message(0, [BdSeq(), .. metrics]);
    }

    public byte[] NodeDeath() => new Payload { Timestamp = (ulong)Stamp, Metrics = { BdSeq() } }.ToByteArray();

    /// <summary>A DBIRTH, NDATA, DDATA or DDEATH: the next seq.</summary>
    public byte[] Next(params Payload.Types.Metric[] metrics)
    {
        _seq = (_seq + 1) % 256;
        return Message(_seq, metrics);
    }

    /// <summary>A message with a seq that skips one, as when a message was lost.</summary>
    public byte[] AfterGap(params Payload.Types.Metric[] metrics)
    {
        _seq = (_seq + 2) % 256;
        return Message(_seq, metrics);
    }

    public static Payload.Types.Metric Double(string? name, ulong? alias, double value)
    {
        var metric = new Payload.Types.Metric { Datatype = (uint)SparkplugDataType.Double, DoubleValue = value, Timestamp = (ulong)Stamp };
        if (name is not null)
        {
            metric.Name = name;
        }

        if (alias is { } a)
        {
            metric.Alias = a;
        }

        return metric;
    }

    public static Payload.Types.Metric Int32(string name, ulong alias, int value) =>
        new() { Name = name, Alias = alias, Datatype = (uint)SparkplugDataType.Int32, IntValue = unchecked((uint)value), Timestamp = (ulong)Stamp };

    public static Payload.Types.Metric String(string name, string value) =>
        new() { Name = name, Datatype = (uint)SparkplugDataType.String, StringValue = value, Timestamp = (ulong)Stamp };

    private Payload.Types.Metric BdSeq() => new() { Name = "bdSeq", Datatype = (uint)SparkplugDataType.Int64, LongValue = bdSeq };

    private static byte[] Message(ulong seq, IEnumerable<Payload.Types.Metric> metrics)
    {
        var payload = new Payload { Timestamp = (ulong)Stamp, Seq = seq };
        payload.Metrics.AddRange(metrics);
        return payload.ToByteArray();
    }
}
