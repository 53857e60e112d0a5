using Maas.Engine.Experts;
using Maas.Engine.Kernels;
using Maas.Engine.Tests.Kernels;
using Maas.Engine.Weights;
using Xunit;

namespace Maas.Engine.Tests.Experts;

/// <summary>The in-process expert host: shared experts folded into its dispatches compute what a separate MLP computes.</summary>
public sealed unsafe class LocalExpertHostTests
{
    [Theory]
    [InlineData(WeightFormat.Q8Block128, 1)]
    [InlineData(WeightFormat.Q8Block128, 5)]
    [InlineData(WeightFormat.F32, 3)]
    public void Shared_experts_in_the_expert_dispatches_equal_a_separate_feed_forward_bit_for_bit(WeightFormat format, int rows)
    {
        const int hidden = 130, width = 70, sharedWidth = 140, experts = 8;
        var rng = new Random(rows * 10 + (int)format);
        WeightMatrix Random(int outFeatures, int inFeatures) =>
            WeightMatrix.FromF32(outFeatures, inFeatures, format, KernelTestData.Random(rng, outFeatures * inFeatures));

        var routed = new FeedForwardWeights[experts];
        for (int e = 0; e < experts; e++)
        {
            routed[e] = new FeedForwardWeights(Random(width, hidden), Random(width, hidden), Random(hidden, width));
        }

        using var shared = new FeedForwardWeights(Random(sharedWidth, hidden), Random(sharedWidth, hidden), Random(hidden, sharedWidth));
        using var backend = new CpuBackend(2);
        using var host = new LocalExpertHost(backend, [routed], hidden, width, 64);

        float[] x = KernelTestData.Random(rng, rows * hidden, 2f);
        var assignments = new ExpertAssignment[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            int first = rng.Next(experts);
            assignments[2 * r] = new ExpertAssignment(r, first, 0.7f);
            assignments[2 * r + 1] = new ExpertAssignment(r, (first + 1 + rng.Next(experts - 1)) % experts, 0.3f);
        }

        var routedTogether = new float[rows * hidden];
        var routedAlone = new float[rows * hidden];
        var sharedTogether = new float[rows * hidden];
        var sharedAlone = new float[rows * hidden];
        var gateUp = new float[2 * rows * sharedWidth];
        fixed (float* px = x)
        fixed (float* g = gateUp)
        fixed (float* st = sharedTogether)
        fixed (float* sa = sharedAlone)
        {
            host.Accumulate(0, x, hidden, assignments, routedTogether, new SharedExpertRun(shared, g, g + rows * sharedWidth, st), []);
            host.Accumulate(0, x, hidden, assignments, routedAlone);

            // The shared MLP on its own, as the model ran it before: gate and up, SiLU·up, down.
            backend.MatMul(px, hidden, rows, shared.Gate, g, sharedWidth);
            backend.MatMul(px, hidden, rows, shared.Up, g + rows * sharedWidth, sharedWidth);
            backend.SiluMul(g, g + rows * sharedWidth, rows * sharedWidth);
            backend.MatMul(g, sharedWidth, rows, shared.Down, sa, hidden);
        }

        Assert.Equal(routedAlone, routedTogether);
        Assert.Equal(sharedAlone, sharedTogether);
        Assert.Contains(sharedTogether, v => v != 0);
        Assert.Contains(routedTogether, v => v != 0);
    }
}
