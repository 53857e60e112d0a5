using Maas.Engine.Checkpoints;
using Maas.Engine.Kernels;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Weights;
using Xunit;

namespace Maas.Engine.Tests.Kernels;

/// <summary>
/// Every SIMD kernel against its scalar reference on random data, including sizes that are not multiples of the vector
/// width, on every SIMD level the machine supports.
/// </summary>
public sealed unsafe class SimdKernelTests
{
    public static TheoryData<SimdLevel, int> Sizes() => SimdLevels.Cross(new[] { 1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 200, 1000 });

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Dot_matches_scalar(SimdLevel level, int n)
    {
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(n);
        float[] a = KernelTestData.Random(rng, n);
        float[] b = KernelTestData.Random(rng, n);
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            float expected = ScalarKernels.Dot(pa, pb, n);
            Assert.Equal(expected, k.Dot(pa, pb, n), 1e-4 * Math.Sqrt(n));
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void DotBf16_and_AxpyBf16_match_scalar(SimdLevel level, int n)
    {
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(100 + n);
        float[] a = KernelTestData.Random(rng, n);
        ushort[] b = KernelTestData.Random(rng, n).Select(Bf16.Encode).ToArray();
        float[] y1 = KernelTestData.Random(rng, n);
        float[] y2 = (float[])y1.Clone();
        fixed (float* pa = a)
        fixed (ushort* pb = b)
        fixed (float* p1 = y1)
        fixed (float* p2 = y2)
        {
            Assert.Equal(ScalarKernels.DotBf16(pa, pb, n), k.DotBf16(pa, pb, n), 1e-4 * Math.Sqrt(n));
            ScalarKernels.AxpyBf16(p1, 0.37f, pb, n);
            k.AxpyBf16(p2, 0.37f, pb, n);
        }

        Assert.True(KernelTestData.MaxRelativeDiff(y2, y1) < 1e-6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AxpyBf16x4_equals_four_scalar_AxpyBf16(SimdLevel level, int n)
    {
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(150 + n);
        ushort[] x = KernelTestData.Random(rng, n).Select(Bf16.Encode).ToArray();
        float[] a = [0.37f, -1.25f, 0f, 2.5f];
        int stride = n + 3;
        float[] expected = KernelTestData.Random(rng, 4 * stride);
        float[] actual = (float[])expected.Clone();
        fixed (ushort* px = x)
        fixed (float* pa = a)
        fixed (float* pe = expected)
        fixed (float* py = actual)
        {
            for (int h = 0; h < 4; h++)
            {
                ScalarKernels.AxpyBf16(pe + h * stride, a[h], px, n);
            }

            k.AxpyBf16x4(py, stride, pa, px, n);
        }

        // FMA in the vector body against multiply-add in the reference: within an f32 rounding.
        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Axpy_Add_RmsNorm_SiluMul_Softmax_match_scalar(SimdLevel level, int n)
    {
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(200 + n);
        float[] x = KernelTestData.Random(rng, n, 4);
        float[] w = KernelTestData.Random(rng, n);
        float[] up = KernelTestData.Random(rng, n);
        var expected = new float[n];
        var actual = new float[n];
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pu = up)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            x.CopyTo(expected);
            x.CopyTo(actual);
            ScalarKernels.Axpy(pe, -1.5f, pw, n);
            k.Axpy(pa, -1.5f, pw, n);
            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-6, "axpy");

            ScalarKernels.Add(pe, pw, n);
            k.Add(pa, pw, n);
            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-6, "add");

            ScalarKernels.RmsNorm(px, pw, 1e-6f, pe, n);
            k.RmsNorm(px, pw, 1e-6f, pa, n);
            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, "rmsnorm");

            x.CopyTo(expected);
            x.CopyTo(actual);
            ScalarKernels.SiluMul(pe, pu, n);
            k.SiluMul(pa, pu, n);
            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, "silu");

            x.CopyTo(expected);
            x.CopyTo(actual);
            ScalarKernels.Softmax(pe, n);
            k.Softmax(pa, n);
            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, "softmax");
            Assert.Equal(1.0, actual.Sum(), 1e-4);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AccumulateInputMajor_matches_scalar_for_f32_and_bf16_rows(SimdLevel level, int n)
    {
        // n outputs (odd sizes leave a scalar tail), 1-6 rows (a 4-row tile plus single rows), 16 inputs as in a cache page.
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(400 + n);
        const int inputs = 16, xStride = inputs + 1;
        int wStride = n + 5, rows = 1 + n % 6;
        float[] x = KernelTestData.Random(rng, rows * xStride);
        float[] wf = KernelTestData.Random(rng, inputs * wStride);
        ushort[] wb = wf.Select(Bf16.Encode).ToArray();
        foreach (bool bf16 in new[] { false, true })
        {
            float[] expected = KernelTestData.Random(rng, rows * n);
            float[] actual = (float[])expected.Clone();
            fixed (float* px = x)
            fixed (float* pwf = wf)
            fixed (ushort* pwb = wb)
            fixed (float* pe = expected)
            fixed (float* pa = actual)
            {
                void* w = bf16 ? pwb : pwf;
                ScalarKernels.AccumulateInputMajor(px, xStride, rows, w, bf16, wStride, inputs, pe, n, n);
                k.AccumulateInputMajor(px, xStride, rows, w, bf16, wStride, inputs, pa, n, n);
            }

            Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, $"bf16 {bf16}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Fp8_row_dequantization_matches_the_decode_table(SimdLevel level, int n)
    {
        FloatKernels k = FloatKernels.For(level);
        var rng = new Random(300 + n);
        // Any code but the two NaN codes (0x7F, 0xFF), which real weights never hold and which the bit trick maps to 480.
        byte[] codes = Enumerable.Range(0, n).Select(_ => (byte)(rng.Next(0, 255) is var c && (c & 0x7F) == 0x7F ? c - 1 : c)).ToArray();
        float[] scales = KernelTestData.Random(rng, (n + 127) / 128).Select(s => Math.Abs(s) + 0.01f).ToArray();
        var expected = new float[n];
        var actual = new float[n];
        fixed (byte* pc = codes)
        fixed (float* ps = scales)
        fixed (float* pa = actual)
        {
            k.DequantizeFp8Row(pc, ps, n, pa);
        }

        for (int i = 0; i < n; i++)
        {
            expected[i] = Fp8E4M3.Decode(codes[i]) * scales[i / 128];
        }

        Assert.Equal(expected, actual);
    }

    public static TheoryData<SimdLevel, WeightFormat, int, int, int> MatMulShapes()
    {
        var data = new TheoryData<SimdLevel, WeightFormat, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            foreach (WeightFormat format in Enum.GetValues<WeightFormat>())
            {
                data.Add(level, format, 1, 1, 1);
                data.Add(level, format, 1, 37, 19);
                data.Add(level, format, 3, 64, 130);
                data.Add(level, format, 5, 200, 257);
                data.Add(level, format, 9, 33, 31);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void CpuBackend_MatMul_matches_scalar_backend(SimdLevel level, WeightFormat format, int tokens, int outFeatures, int inFeatures)
    {
        var rng = new Random(tokens * 1000 + outFeatures + inFeatures);
        using WeightMatrix w = WeightMatrix.FromF32(outFeatures, inFeatures, format, KernelTestData.Random(rng, outFeatures * inFeatures));
        // Rows padded to a stride larger than the row, to check strides are honoured.
        int xStride = inFeatures + 3;
        int yStride = outFeatures + 5;
        float[] x = KernelTestData.Random(rng, tokens * xStride);
        var expected = new float[tokens * yStride];
        var actual = new float[tokens * yStride];
        using var cpu = new CpuBackend(2, level);
        using var scalar = new ScalarBackend();
        fixed (float* px = x)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            scalar.MatMul(px, xStride, tokens, w, pe, yStride);
            cpu.MatMul(px, xStride, tokens, w, pa, yStride);
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, $"{format} {tokens}x{inFeatures} -> {outFeatures}");
        if (format == WeightFormat.Q8Block128)
        {
            // Q8 also quantizes the activations; Q8KernelTests bounds that against f32.
            return;
        }

        // The scalar reference must itself equal a plain dot with the dequantized weights.
        var row = new float[inFeatures];
        w.ReadRow(outFeatures - 1, row);
        double direct = 0;
        for (int i = 0; i < inFeatures; i++)
        {
            direct += x[(tokens - 1) * xStride + i] * row[i];
        }

        Assert.Equal(direct, expected[(tokens - 1) * yStride + outFeatures - 1], 1e-4);
    }

    public static TheoryData<SimdLevel, WeightFormat, int, int, int> HeadCases()
    {
        var data = new TheoryData<SimdLevel, WeightFormat, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            data.Add(level, WeightFormat.F32, 1, 3, 70);
            data.Add(level, WeightFormat.Bf16, 5, 2, 70);
            data.Add(level, WeightFormat.Fp8Block128, 4, 4, 70);
            data.Add(level, WeightFormat.Q8Block128, 1, 3, 70);
            data.Add(level, WeightFormat.Q8Block128, 5, 2, 130);
            data.Add(level, WeightFormat.Q8Block128, 4, 4, 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void CpuBackend_MatMulHeads_equals_one_matmul_per_head(SimdLevel level, WeightFormat format, int tokens, int heads, int xHeadStride)
    {
        // xHeadStride 0 is one input shared by every head (gate+up); Q8 then quantizes it once.
        var rng = new Random(tokens + 10 * heads);
        const int outFeatures = 45, inFeatures = 70;
        WeightMatrix[] w = Enumerable.Range(0, heads)
            .Select(_ => WeightMatrix.FromF32(outFeatures, inFeatures, format, KernelTestData.Random(rng, outFeatures * inFeatures)))
            .ToArray();
        int xStride = Math.Max(inFeatures, heads * xHeadStride), yStride = heads * outFeatures;
        float[] x = KernelTestData.Random(rng, tokens * xStride);
        var expected = new float[tokens * yStride];
        var actual = new float[tokens * yStride];
        using var cpu = new CpuBackend(2, level);
        fixed (float* px = x)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            for (int h = 0; h < heads; h++)
            {
                ScalarKernels.MatMul(px + h * xHeadStride, xStride, tokens, w[h], pe + h * outFeatures, yStride);
            }

            cpu.MatMulHeads(px, xStride, xHeadStride, tokens, w, pa, yStride, outFeatures);
        }

        foreach (WeightMatrix m in w)
        {
            m.Dispose();
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5);
    }

    [Fact]
    public void CpuBackend_rope_matches_scalar_and_preserves_pair_norms()
    {
        var rng = new Random(7);
        const int rows = 3, heads = 2, dim = 16, stride = 40;
        float[] x = KernelTestData.Random(rng, rows * stride);
        float[] cos = new float[rows * dim / 2];
        float[] sin = new float[rows * dim / 2];
        for (int i = 0; i < cos.Length; i++)
        {
            double angle = rng.NextDouble() * 6;
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }

        float[] expected = (float[])x.Clone();
        float[] actual = (float[])x.Clone();
        using var cpu = new CpuBackend(1);
        using var scalar = new ScalarBackend();
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        fixed (float* pc = cos)
        fixed (float* ps = sin)
        {
            scalar.Rope(pe + 4, stride, rows, heads, 18, dim, pc, ps);
            cpu.Rope(pa + 4, stride, rows, heads, 18, dim, pc, ps);
        }

        Assert.Equal(expected, actual);
        // Pair (2i, 2i+1) becomes (i, i + dim/2) with the same length.
        int start = 4;
        for (int i = 0; i < dim / 2; i++)
        {
            double before = x[start + 2 * i] * x[start + 2 * i] + x[start + 2 * i + 1] * x[start + 2 * i + 1];
            double after = actual[start + i] * actual[start + i] + actual[start + i + dim / 2] * actual[start + i + dim / 2];
            Assert.Equal(before, after, 1e-5);
        }
    }

    public static TheoryData<SimdLevel, WeightFormat, int, int, int, int> InputMajorCases()
    {
        var data = new TheoryData<SimdLevel, WeightFormat, int, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            foreach (WeightFormat format in new[] { WeightFormat.F32, WeightFormat.Bf16 })
            {
                data.Add(level, format, 1, 2, 128, 512);
                data.Add(level, format, 4, 3, 128, 512);
                data.Add(level, format, 9, 2, 37, 100);
                data.Add(level, format, 6, 1, 5, 64);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InputMajorCases))]
    public void CpuBackend_input_major_MatMulHeads_matches_scalar_backend(SimdLevel level, WeightFormat format, int tokens, int heads, int inputs, int outputs)
    {
        // MLA's W_UK shape (128 inputs, 512 outputs) and odd shapes that leave tail columns and tokens.
        var rng = new Random(tokens * 100 + inputs);
        var w = new WeightMatrix[heads];
        for (int h = 0; h < heads; h++)
        {
            w[h] = WeightMatrix.FromF32(inputs, outputs, format, KernelTestData.Random(rng, inputs * outputs));
        }

        int xHeadStride = inputs + 3, xStride = heads * xHeadStride + 1;
        int yStride = heads * outputs + 7;
        float[] x = KernelTestData.Random(rng, tokens * xStride);
        var expected = new float[tokens * yStride];
        var actual = new float[tokens * yStride];
        using var cpu = new CpuBackend(2, level);
        using var scalar = new ScalarBackend();
        fixed (float* px = x)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            scalar.MatMulHeadsInputMajor(px, xStride, xHeadStride, tokens, w, pe, yStride, outputs);
            cpu.MatMulHeadsInputMajor(px, xStride, xHeadStride, tokens, w, pa, yStride, outputs);
        }

        foreach (WeightMatrix m in w)
        {
            m.Dispose();
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5);
        Assert.Contains(actual, v => v != 0);
    }
}
