namespace Maas.Plant.Sparkplug;

/// <summary>What became of one Sparkplug B message (a label of the plant's Sparkplug metric).</summary>
public enum SparkplugOutcome
{
    Applied,

    /// <summary>Applied, but its seq did not follow the previous message's: messages were lost or reordered.</summary>
    AppliedAfterSequenceGap,

    /// <summary>DATA or DEATH of a node or device with no BIRTH seen: the values cannot be named.</summary>
    IgnoredBeforeBirth,

    /// <summary>An NDEATH whose bdSeq is not the current BIRTH's: it belongs to an earlier session of the node.</summary>
    IgnoredStaleDeath,

    /// <summary>Commands and host state are not context.</summary>
    IgnoredMessageType,

    Malformed,
}
