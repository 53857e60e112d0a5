using Maas.Engine.Tools.Gguf;

namespace Maas.Engine.Tests.TestSupport;

/// <summary>A tensor description read from a GGUF file: ggml-order dimensions, type, offset into the data section.</summary>
internal sealed record GgufTensorInfo(long[] Dims, GgufTensorType Type, long Offset);
