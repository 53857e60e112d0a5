namespace Maas.Plant.Sparkplug;

/// <summary>Sparkplug B metric data types (the specification's numbers) that the plant service renders as text.</summary>
public enum SparkplugDataType
{
    Unknown = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    UInt8 = 5,
    UInt16 = 6,
    UInt32 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    Boolean = 11,
    String = 12,
    DateTime = 13,
    Text = 14,
}
