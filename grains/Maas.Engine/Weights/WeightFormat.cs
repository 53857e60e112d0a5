namespace Maas.Engine.Weights;

/// <summary>How a weight matrix is stored in memory; kernels convert to f32 on the fly.</summary>
public enum WeightFormat
{
    F32,
    Bf16,

    /// <summary>FP8 E4M3 codes with one f32 scale per 128x128 block (DeepSeek-V3 layout).</summary>
    Fp8Block128,
}
