namespace Maas.Engine;

/// <summary>How weights are held in memory after loading (the checkpoint's own dtype, or re-quantized).</summary>
public enum WeightPrecision
{
    /// <summary>Keep the checkpoint's dtype where a kernel exists for it.</summary>
    Native,
    F32,
    Bf16,
    /// <summary>FP8 E4M3 with 128x128 block scales.</summary>
    Fp8,
    /// <summary>8-bit integer blocks with one scale per block.</summary>
    Q8,
}
