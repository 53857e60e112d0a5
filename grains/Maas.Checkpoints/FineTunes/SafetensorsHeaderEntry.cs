namespace Maas.Checkpoints.FineTunes;

/// <summary>One tensor as a safetensors header declares it: name, dtype text ("BF16", "F8_E4M3", ...), shape and byte range.</summary>
public sealed record SafetensorsHeaderEntry(string Name, string Dtype, IReadOnlyList<long> Shape, long Begin, long End)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
