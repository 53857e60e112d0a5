namespace Maas.Engine.Weights;

/// <summary>How a weight matrix is stored in memory; kernels convert to f32 on the fly.</summary>
public enum WeightFormat
{
    F32,
    Bf16,

    /// <summary>FP8 E4M3 codes with one f32 scale per 128x128 block (DeepSeek-V3 layout).</summary>
    Fp8Block128,

    /// <summary>
    /// Symmetric int8 with one f32 scale (max|w|/127) per (row, 128 input columns), rows padded with
    /// zeros to a multiple of 128 bytes, plus -128·Σw per block for the unsigned-activation VNNI kernel.
    /// </summary>
    Q8Block128,
}
