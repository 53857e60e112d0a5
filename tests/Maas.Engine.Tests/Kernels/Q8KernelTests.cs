using Maas.Engine.Kernels;
using Maas.Engine.Tests.TestSupport;
using Maas.Engine.Weights;
using Xunit;

namespace Maas.Engine.Tests.Kernels;

/// <summary>Q8 (int8, 128-column blocks) quantization and the VNNI matmul against the scalar reference and f32.</summary>
public sealed unsafe class Q8KernelTests
{
    public static TheoryData<int> Sizes() => new() { 1, 7, 16, 17, 64, 127, 128, 129, 200, 256, 300, 1000 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Weight_quantization_round_trip_is_within_half_a_step_per_block(int cols)
    {
        var rng = new Random(cols);
        const int rows = 3;
        float[] values = KernelTestData.Random(rng, rows * cols, 2f);
        values[0] = 0; // an exact zero stays zero
        using WeightMatrix w = WeightMatrix.FromF32(rows, cols, WeightFormat.Q8Block128, values);
        // One tile of 16 rows: the 3 real rows and 13 zero padding rows.
        Assert.Equal(16L * Q8BlockQuantizer.RowBytes(cols) + 2L * 16 * Q8BlockQuantizer.Blocks(cols) * 4, w.ByteLength);
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            w.ReadRow(r, row);
            sbyte* codes = (sbyte*)w.Data;
            for (int b = 0; b < w.Q8Blocks; b++)
            {
                int start = b * 128, end = Math.Min(cols, start + 128);
                float amax = 0;
                int sum = 0;
                for (int c = start; c < end; c++)
                {
                    amax = Math.Max(amax, Math.Abs(values[r * cols + c]));
                    sum += codes[Q8BlockQuantizer.CodeIndex(r, c, w.Q8RowBytes)];
                }

                // Round to nearest with step amax/127: error ≤ amax/254 (plus one f32 rounding of the product).
                for (int c = start; c < end; c++)
                {
                    Assert.True(Math.Abs(row[c] - values[r * cols + c]) <= amax / 254 * (1 + 1e-5), $"row {r} col {c}");
                }

                for (int c = end; c < start + 128; c++)
                {
                    Assert.Equal(0, codes[Q8BlockQuantizer.CodeIndex(r, c, w.Q8RowBytes)]);
                }

                Assert.Equal(-128 * sum, w.Q8Offsets[Q8BlockQuantizer.BlockIndex(r, b, w.Q8Blocks)]);
            }
        }

        // Padding rows of the tile are zero codes with zero scales and offsets, so they compute to zero.
        for (int r = rows; r < 16; r++)
        {
            for (int c = 0; c < w.Q8RowBytes; c++)
            {
                Assert.Equal(0, ((sbyte*)w.Data)[Q8BlockQuantizer.CodeIndex(r, c, w.Q8RowBytes)]);
            }

            for (int b = 0; b < w.Q8Blocks; b++)
            {
                Assert.Equal(0, w.Q8Offsets[Q8BlockQuantizer.BlockIndex(r, b, w.Q8Blocks)]);
                Assert.Equal(0f, w.Scales[Q8BlockQuantizer.BlockIndex(r, b, w.Q8Blocks)]);
            }
        }

        Assert.Equal(0f, ReadFirst(w));
    }

    private static float ReadFirst(WeightMatrix w)
    {
        var row = new float[w.Cols];
        w.ReadRow(0, row);
        return row[0];
    }

    public static TheoryData<SimdLevel, int> LevelSizes() => SimdLevels.Cross(new[] { 1, 7, 16, 17, 64, 127, 128, 129, 200, 256, 300, 1000 });

    [Theory]
    [MemberData(nameof(LevelSizes))]
    public void Simd_activation_quantization_equals_scalar_bit_for_bit(SimdLevel level, int cols)
    {
        foreach (bool unsignedCodes in new[] { true, false })
        {
            ActivationQuantizationEqualsScalar(FloatKernels.For(level), cols, unsignedCodes);
        }
    }

    private static void ActivationQuantizationEqualsScalar(FloatKernels k, int cols, bool unsignedCodes)
    {
        var rng = new Random(50 + cols);
        float[] x = KernelTestData.Random(rng, cols, 3f);
        int rowBytes = Q8BlockQuantizer.RowBytes(cols), blocks = Q8BlockQuantizer.Blocks(cols);
        var expected = new byte[rowBytes];
        var actual = new byte[rowBytes];
        var expectedScales = new float[blocks];
        var actualScales = new float[blocks];
        fixed (float* px = x)
        fixed (byte* pe = expected)
        fixed (byte* pa = actual)
        fixed (float* se = expectedScales)
        fixed (float* sa = actualScales)
        {
            ScalarKernels.QuantizeActivationRow(px, cols, pe, se, unsignedCodes);
            k.QuantizeActivationRow(px, cols, pa, sa, unsignedCodes);
        }

        Assert.Equal(expected, actual);
        Assert.Equal(expectedScales, actualScales);
        for (int c = 0; c < rowBytes; c++)
        {
            int code = unsignedCodes ? expected[c] - 128 : (sbyte)expected[c];
            Assert.InRange(code, -127, 127);
            if (c < cols)
            {
                // The code times the block scale is within half a step of the value.
                Assert.True(Math.Abs(code * expectedScales[c / 128] - x[c]) <= expectedScales[c / 128] * 0.5001f);
            }
            else
            {
                Assert.Equal(0, code);
            }
        }
    }

    public static TheoryData<SimdLevel, int, int, int> Shapes()
    {
        var data = new TheoryData<SimdLevel, int, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            foreach (int tokens in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17 })
            {
                data.Add(level, tokens, 33, 300);
            }

            data.Add(level, 1, 1, 1);
            data.Add(level, 3, 17, 127);
            data.Add(level, 5, 64, 129);
            data.Add(level, 6, 45, 256);
            data.Add(level, 13, 200, 1000);
            // More than one pass of blocks per tile, and a padded last tile among full ones.
            data.Add(level, 9, 40, 700);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CpuBackend_Q8_matmul_matches_scalar_reference_and_f32_within_the_activation_bound(SimdLevel level, int tokens, int outFeatures, int inFeatures)
    {
        var rng = new Random(tokens * 1000 + outFeatures + inFeatures);
        using WeightMatrix w = WeightMatrix.FromF32(outFeatures, inFeatures, WeightFormat.Q8Block128, KernelTestData.Random(rng, outFeatures * inFeatures));
        int xStride = inFeatures + 3;
        int yStride = outFeatures + 5;
        float[] x = KernelTestData.Random(rng, tokens * xStride, 2f);
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

        // Same integer block sums on both sides; only the f32 scaling and summation order differ.
        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5, $"{tokens}x{inFeatures} -> {outFeatures}");

        // Against f32 x·dequantized W the only extra error is the activation rounding: each x is off by at
        // most half its block's step (amax_b/254), so |error| ≤ Σ_b amax_b/254 · Σ_{c∈b} |W[o, c]| (+ f32 noise).
        var rows = new float[outFeatures * inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            w.ReadRow(o, rows.AsSpan(o * inFeatures, inFeatures));
        }

        double worstRatio = 0;
        for (int t = 0; t < tokens; t++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double exact = 0, bound = 1e-5;
                for (int b = 0; b * 128 < inFeatures; b++)
                {
                    double amax = 0, wsum = 0;
                    for (int c = b * 128; c < Math.Min(inFeatures, b * 128 + 128); c++)
                    {
                        amax = Math.Max(amax, Math.Abs(x[t * xStride + c]));
                        wsum += Math.Abs(rows[o * inFeatures + c]);
                    }

                    bound += amax / 254 * wsum * 1.0001;
                }

                for (int c = 0; c < inFeatures; c++)
                {
                    exact += (double)x[t * xStride + c] * rows[o * inFeatures + c];
                }

                double error = Math.Abs(actual[t * yStride + o] - exact);
                Assert.True(error <= bound, $"t {t} o {o}: error {error} > bound {bound}");
                worstRatio = Math.Max(worstRatio, error / bound);
            }
        }

        // The bound must not be vacuous: random signs make the typical error far below the worst case, but nonzero.
        Assert.True(worstRatio > 0 || inFeatures == 1);
    }

    public static TheoryData<SimdLevel, int, int> TileCases()
    {
        var data = new TheoryData<SimdLevel, int, int>();
        foreach (SimdLevel level in SimdLevels.Supported)
        {
            foreach (int cols in new[] { 128, 300, 2048 })
            {
                for (int tokens = 1; tokens <= 4; tokens++)
                {
                    data.Add(level, cols, tokens);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TileCases))]
    public void Tile_kernel_equals_the_scalar_dot_for_every_row_and_token(SimdLevel level, int cols, int tokens)
    {
        Q8Kernels q8 = Q8Kernels.For(level);
        var rng = new Random(cols * 10 + tokens);
        using WeightMatrix w = WeightMatrix.FromF32(16, cols, WeightFormat.Q8Block128, KernelTestData.Random(rng, 16 * cols));
        int blocks = Q8BlockQuantizer.Blocks(cols), aStride = Q8BlockQuantizer.RowBytes(cols) + 64;
        float[] x = KernelTestData.Random(rng, tokens * cols, 3f);
        var codes = new byte[tokens * aStride];
        var kernelCodes = new byte[tokens * aStride];
        var scales = new float[tokens * blocks];
        const int yStride = 19;
        var actual = new float[tokens * yStride];
        var split = new float[tokens * yStride];
        fixed (float* px = x)
        fixed (byte* a = codes)
        fixed (byte* ka = kernelCodes)
        fixed (float* s = scales)
        fixed (float* y = actual)
        fixed (float* ys = split)
        {
            for (int t = 0; t < tokens; t++)
            {
                ScalarKernels.QuantizeActivationRow(px + t * cols, cols, a + t * aStride, s + t * blocks);
                ScalarKernels.QuantizeActivationRow(px + t * cols, cols, ka + t * aStride, s + t * blocks, q8.UnsignedActivations);
            }

            // Prefetching within the matrix (the tile itself) must not change the result.
            q8.DotTile(tokens, ka, aStride, s, blocks, blocks, (sbyte*)w.Data, w.Scales, w.Q8Offsets, y, yStride, false, tokens > 1 ? 64 : 0);

            // The same sums as a first block alone, then the rest accumulated (how a matmul passes over long rows).
            q8.DotTile(tokens, ka, aStride, s, blocks, 1, (sbyte*)w.Data, w.Scales, w.Q8Offsets, ys, yStride, false, 0);
            if (blocks > 1)
            {
                q8.DotTile(tokens, ka + 128, aStride, s + 1, blocks, blocks - 1, (sbyte*)w.Data + 2048, w.Scales + 16, w.Q8Offsets + 16, ys, yStride, true, 0);
            }

            for (int o = 0; o < 16; o++)
            {
                for (int t = 0; t < tokens; t++)
                {
                    float expected = ScalarKernels.DotQ8(a + t * aStride, s + t * blocks, w, o);
                    Assert.True(Math.Abs(split[t * yStride + o] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"split row {o} token {t}: {split[t * yStride + o]} vs {expected}");
                    // Identical integer block sums and block order; only FMA versus multiply-then-add rounding differs.
                    Assert.True(Math.Abs(actual[t * yStride + o] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"row {o} token {t}: {actual[t * yStride + o]} vs {expected}");
                }
            }

            // Nothing written outside the 16 outputs of each token row.
            for (int t = 0; t < tokens; t++)
            {
                Assert.All(actual.AsSpan(t * yStride + 16, yStride - 16).ToArray(), v => Assert.Equal(0f, v));
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.All), MemberType = typeof(SimdLevels))]
    public void CpuBackend_MatMulGroups_equals_one_scalar_matmul_per_group(SimdLevel level)
    {
        // Expert-shaped groups: gate and up share an input (quantized once), a group with no rows, row
        // counts on both sides of the 4-token tile, and an F32 group among the Q8 ones.
        var rng = new Random(77);
        const int inFeatures = 300, outFeatures = 45;
        // The last group reuses the first group's input from further back, as a shared expert's up does.
        int[] rows = [1, 1, 5, 5, 0, 3, 4, 4, 2, 1];
        var w = new WeightMatrix[rows.Length];
        for (int g = 0; g < rows.Length; g++)
        {
            w[g] = WeightMatrix.FromF32(outFeatures + g, inFeatures, g == 5 ? WeightFormat.F32 : WeightFormat.Q8Block128, KernelTestData.Random(rng, (outFeatures + g) * inFeatures));
        }

        int totalRows = rows.Sum();
        float[] x = KernelTestData.Random(rng, totalRows * inFeatures, 2f);
        int yStride = outFeatures + rows.Length;
        var expected = new float[totalRows * yStride];
        var actual = new float[totalRows * yStride];
        using var cpu = new CpuBackend(2, level);
        fixed (float* px = x)
        fixed (float* pe = expected)
        fixed (float* pa = actual)
        {
            var groups = new MatMulGroup[rows.Length];
            int row = 0;
            for (int g = 0; g < rows.Length; g++)
            {
                // Odd groups reuse the previous group's input rows, as up reuses gate's.
                int inputRow = g == rows.Length - 1 ? 0 : g % 2 == 1 && rows[g] == rows[g - 1] ? row - rows[g - 1] : row;
                groups[g] = new MatMulGroup(px + inputRow * inFeatures, inFeatures, rows[g], w[g], pa + row * yStride, yStride);
                ScalarKernels.MatMul(px + inputRow * inFeatures, inFeatures, rows[g], w[g], pe + row * yStride, yStride);
                row += rows[g];
            }

            cpu.MatMulGroups(groups);
        }

        foreach (WeightMatrix m in w)
        {
            m.Dispose();
        }

        Assert.True(KernelTestData.MaxRelativeDiff(actual, expected) < 1e-5);
        Assert.Contains(actual, v => v != 0);
    }
}
