using Maas.Engine.Weights;

namespace Maas.Engine.Kernels;

/// <summary>One of several independent matmuls run in one dispatch: y[t, o] = Σ_i x[t, i]·W[o, i] for Rows token rows.</summary>
internal unsafe struct MatMulGroup
{
    public float* X;
    public int XStride;
    public int Rows;
    public WeightMatrix W;
    public float* Y;
    public int YStride;

    public MatMulGroup(float* x, int xStride, int rows, WeightMatrix w, float* y, int yStride)
    {
        X = x;
        XStride = xStride;
        Rows = rows;
        W = w;
        Y = y;
        YStride = yStride;
    }
}
