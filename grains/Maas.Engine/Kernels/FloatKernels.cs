using System.Runtime.Intrinsics;
using Maas.Engine.Kernels.Vectors;

namespace Maas.Engine.Kernels;

/// <summary>
/// The f32 kernels of the CPU backend (dot products, BF16/FP8 widening, norms, softmax, activation quantization)
/// at one <see cref="SimdLevel"/>: written once over <see cref="IVectorOps{TVec}"/> (<see cref="VectorFloatKernels{TOps, TVec}"/>),
/// or the scalar reference (<see cref="ScalarFloatKernels"/>). One virtual call per kernel call (a row or more of work).
/// </summary>
internal abstract unsafe class FloatKernels
{
    /// <summary>The path name reported per kernel family ("avx2", "avx512", "vector128", "scalar").</summary>
    public abstract string Path { get; }

    public static FloatKernels For(SimdLevel level) => level switch
    {
        SimdLevel.Scalar => ScalarFloatKernels.Instance,
        SimdLevel.Vector128 => VectorFloatKernels<VectorOps128, Vector128<float>>.Instance,
        SimdLevel.Avx2 or SimdLevel.AvxVnni => VectorFloatKernels<VectorOps256, Vector256<float>>.Instance,
        SimdLevel.Avx512 => VectorFloatKernels<VectorOps512, Vector512<float>>.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    public abstract float Dot(float* a, float* b, int n);

    public abstract float DotBf16(float* a, ushort* b, int n);

    /// <summary>
    /// Dot products of one f32 weight row with 4 token rows (x, x + xStride, ...): the weight vector is loaded once
    /// and used for all four, so a batch reads each weight once.
    /// </summary>
    public abstract void Dot4(float* w, float* x, long xStride, int n, float* result);

    /// <summary>As <see cref="Dot4"/> for a BF16 weight row, widened to f32 in registers.</summary>
    public abstract void Dot4Bf16(ushort* w, float* x, long xStride, int n, float* result);

    /// <summary>y += a·x.</summary>
    public abstract void Axpy(float* y, float a, float* x, int n);

    public abstract void AxpyBf16(float* y, float a, ushort* x, int n);

    /// <summary>
    /// y_h += a[h]·x for 4 outputs (y, y + yStride, ...) and one BF16 vector, widened once for all four: the
    /// attention's value sum, where one cached latent serves every head of a group.
    /// </summary>
    public abstract void AxpyBf16x4(float* y, long yStride, float* a, ushort* x, int n);

    /// <summary>BF16 row to f32 (exact: a 16-bit shift).</summary>
    public abstract void WidenBf16Row(ushort* source, int n, float* target);

    /// <summary>Decodes one row of FP8 codes times its 128-column block scales into f32.</summary>
    public abstract void DequantizeFp8Row(byte* codes, float* blockScales, int n, float* target);

    /// <summary>
    /// y[t, o] = Σ_i x[t, i]·W[i, o] for outputs [first, last) of an input-major f32 W [inputs, outputs]: a tile of
    /// outputs × 4 tokens stays in registers while each input's weight row segment is broadcast-multiplied into it,
    /// so there is no horizontal sum at all (short per-output dot products were mostly sums).
    /// </summary>
    public abstract void MatMulInputMajor(float* x, int xStride, int rows, float* w, int inputs, int outputs, float* y, int yStride, int first, int last);

    /// <summary>As <see cref="MatMulInputMajor"/> with BF16 weights widened on load (the absorbed MLA slices of BF16 and quantized models).</summary>
    public abstract void MatMulInputMajorBf16(float* x, int xStride, int rows, ushort* w, int inputs, int outputs, float* y, int yStride, int first, int last);

    /// <summary>
    /// y[t, o] += Σ_i x[t, i]·w[i·wStride + o] for rows t &lt; <paramref name="rows"/> and outputs o &lt; <paramref name="outputs"/>,
    /// w f32 or BF16 (widened on load): attention's value sum over one page of cached latents, the probabilities of a
    /// group of heads broadcast into a register tile of outputs, so each cached row is read once for the group.
    /// </summary>
    public abstract void AccumulateInputMajor(float* x, int xStride, int rows, void* w, bool bf16, int wStride, int inputs, float* y, int yStride, int outputs);

    public abstract void RmsNorm(float* x, float* weight, float eps, float* y, int n);

    /// <summary>gate = silu(gate)·up.</summary>
    public abstract void SiluMul(float* gate, float* up, int n);

    public abstract void Softmax(float* x, int n);

    /// <summary>y += x.</summary>
    public abstract void Add(float* y, float* x, int n);

    /// <summary>
    /// One activation row to Q8 as <see cref="ScalarKernels.QuantizeActivationRow"/> does, bit for bit (the same max,
    /// the same 127/max multiplier, the same round-to-nearest-even): codes + 128 when <paramref name="unsignedCodes"/>
    /// (vpdpbusd's u8 operand), plain signed codes otherwise.
    /// </summary>
    public abstract void QuantizeActivationRow(float* x, int cols, byte* codes, float* scales, bool unsignedCodes);
}
