using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>
/// The one seam between the model and the hardware: everything the forward pass computes goes
/// through these calls, so another backend (GPU) can replace <see cref="CpuBackend"/>.
/// Pointers are to f32 row-major buffers; strides are in elements.
/// </summary>
internal unsafe interface IComputeBackend : IDisposable
{
    string Name { get; }

    /// <summary>The code path of each kernel family (reported at start-up and by benchmarks).</summary>
    KernelPaths Paths { get; }

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] for all <paramref name="rows"/> token rows at once.</summary>
    void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride);

    /// <summary>
    /// Several independent matmuls in one dispatch: y_h[t] = W_h·x_h[t] with x_h = x + h·xHeadStride and
    /// y_h = y + h·yHeadStride (per-head MLA absorption, gate+up of an MLP with xHeadStride 0).
    /// </summary>
    void MatMulHeads(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride);

    /// <summary>
    /// As <see cref="MatMulHeads"/> with f32 weights stored input-major: y_h[t, o] = Σ_i x_h[t, i]·W_h[i, o],
    /// W_h being [in features, out features] (MLA's W_UK, whose 128 inputs make per-output dot products short).
    /// </summary>
    void MatMulHeadsInputMajor(float* x, int xStride, long xHeadStride, int rows, WeightMatrix[] w, float* y, int yStride, long yHeadStride);

    /// <summary>
    /// Independent matmuls (a MoE layer's routed experts, each over its own token rows) in one dispatch, so
    /// a layer costs one fork-join per stage instead of one per expert and matrix.
    /// </summary>
    void MatMulGroups(ReadOnlySpan<MatMulGroup> groups);

    void RmsNorm(float* x, int xStride, int rows, float* weight, int dim, float eps, float* y, int yStride);

    /// <summary>gate = silu(gate)·up.</summary>
    void SiluMul(float* gate, float* up, int n);

    /// <summary>y += x.</summary>
    void Add(float* y, float* x, int n);

    /// <summary>y += a·x.</summary>
    void Axpy(float* y, float a, float* x, int n);

    void Softmax(float* x, int n);

    /// <summary>DeepSeek de-interleaved RoPE in place on (row, head) vectors of length dim; cos/sin are [rows, dim/2].</summary>
    void Rope(float* x, int xStride, int rows, int heads, int headStride, int dim, float* cos, float* sin);

    /// <summary>Absorbed attention of every sequence of the step (one entry per sequence) in one dispatch.</summary>
    void LatentAttention(ReadOnlySpan<LatentAttentionArgs> sequences);

    /// <summary>
    /// Expanded (non-absorbed) attention of long prompt chunks, one entry per sequence: K and V decompressed per head
    /// from the cached latents, then causal softmax(q·kᵀ)·v; cheaper than the absorbed form once a chunk is long.
    /// </summary>
    void ExpandedAttention(ReadOnlySpan<ExpandedAttentionArgs> sequences);
}
