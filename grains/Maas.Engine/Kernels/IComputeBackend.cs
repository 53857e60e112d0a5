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

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] for all <paramref name="rows"/> token rows at once.</summary>
    void MatMul(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride);

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

    void LatentAttention(in LatentAttentionArgs args);
}
