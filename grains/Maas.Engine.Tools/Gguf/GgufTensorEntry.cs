namespace Maas.Engine.Tools.Gguf;

/// <summary>A tensor as <see cref="GgufWriter"/> describes it: ggml-order dimensions, type, byte size and the callback that writes its data.</summary>
internal sealed record GgufTensorEntry(string Name, long[] Dims, GgufTensorType Type, long Bytes, Action<Stream> Write);
