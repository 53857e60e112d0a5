namespace Maas.Engine.Tools.Gguf;

/// <summary>The ggml tensor types the GGUF export writes (values as in ggml.h's ggml_type).</summary>
public enum GgufTensorType : uint
{
    F32 = 0,
    F16 = 1,

    /// <summary>Blocks of 32 values: an f16 scale, then 32 int8 codes (34 bytes), value = scale · code.</summary>
    Q8_0 = 8,
}
