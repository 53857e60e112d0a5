namespace Maas.Engine.Kernels;

/// <summary><see cref="FloatKernels"/> as the plain loops of <see cref="ScalarKernels"/> (the reference; MAAS_ENGINE_SIMD=scalar).</summary>
internal sealed unsafe class ScalarFloatKernels : FloatKernels
{
    public static readonly ScalarFloatKernels Instance = new();

    private ScalarFloatKernels()
    {
    }

    public override string Path => "scalar";

    public override float Dot(float* a, float* b, int n) => ScalarKernels.Dot(a, b, n);

    public override float DotBf16(float* a, ushort* b, int n) => ScalarKernels.DotBf16(a, b, n);

    public override void Dot4(float* w, float* x, long xStride, int n, float* result)
    {
        for (int t = 0; t < 4; t++)
        {
            result[t] = ScalarKernels.Dot(x + t * xStride, w, n);
        }
    }

    public override void Dot4Bf16(ushort* w, float* x, long xStride, int n, float* result)
    {
        for (int t = 0; t < 4; t++)
        {
            result[t] = ScalarKernels.DotBf16(x + t * xStride, w, n);
        }
    }

    public override void Axpy(float* y, float a, float* x, int n) => ScalarKernels.Axpy(y, a, x, n);

    public override void AxpyBf16(float* y, float a, ushort* x, int n) => ScalarKernels.AxpyBf16(y, a, x, n);

    public override void AxpyBf16x4(float* y, long yStride, float* a, ushort* x, int n)
    {
        for (int h = 0; h < 4; h++)
        {
            ScalarKernels.AxpyBf16(y + h * yStride, a[h], x, n);
        }
    }

    public override void WidenBf16Row(ushort* source, int n, float* target) => ScalarKernels.WidenBf16Row(source, n, target);

    public override void DequantizeFp8Row(byte* codes, float* blockScales, int n, float* target) =>
        ScalarKernels.DequantizeFp8Row(codes, blockScales, n, target);

    public override void MatMulInputMajor(float* x, int xStride, int rows, float* w, int inputs, int outputs, float* y, int yStride, int first, int last) =>
        ScalarKernels.MatMulInputMajor(x, xStride, rows, w, inputs, outputs, y, yStride, first, last);

    public override void AccumulateInputMajor(float* x, int xStride, int rows, void* w, bool bf16, int wStride, int inputs, float* y, int yStride, int outputs) =>
        ScalarKernels.AccumulateInputMajor(x, xStride, rows, w, bf16, wStride, inputs, y, yStride, outputs);

    public override void MatMulInputMajorBf16(float* x, int xStride, int rows, ushort* w, int inputs, int outputs, float* y, int yStride, int first, int last) =>
        ScalarKernels.MatMulInputMajorBf16(x, xStride, rows, w, inputs, outputs, y, yStride, first, last);

    public override void RmsNorm(float* x, float* weight, float eps, float* y, int n) => ScalarKernels.RmsNorm(x, weight, eps, y, n);

    public override void SiluMul(float* gate, float* up, int n) => ScalarKernels.SiluMul(gate, up, n);

    public override void Softmax(float* x, int n) => ScalarKernels.Softmax(x, n);

    public override void Add(float* y, float* x, int n) => ScalarKernels.Add(y, x, n);

    public override void QuantizeActivationRow(float* x, int cols, byte* codes, float* scales, bool unsignedCodes) =>
        ScalarKernels.QuantizeActivationRow(x, cols, codes, scales, unsignedCodes);
}
