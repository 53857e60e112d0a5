using System.Diagnostics;
using Maas.Engine.Experts;
using Maas.Engine.Kernels;
using Maas.Engine.Weights;

namespace Maas.Benchmarks.Engine;

/// <summary>
/// `kernels`: the two halves of a batched Q8 decode step measured apart, on DeepSeek-V2-Lite sizes with
/// random codes (timing does not depend on the values): one MoE layer (64 experts, top-6 of a batch of
/// tokens, memory-bound) and the lm_head matmul (129,280 × 2,048, compute-bound at batch 16). Prints
/// GB/s against the machine's bandwidth measured in the same run, and int8 GMAC/s.
/// </summary>
public static unsafe class KernelThroughput
{
    private const int Hidden = 2048;
    private const int ExpertWidth = 1408;
    private const int Experts = 64;
    private const int TopK = 6;
    private const int Vocab = 129_280;

    public static int Run(string[] args)
    {
        int threads = ArgValue(args, "--threads", 2);
        int repeats = ArgValue(args, "--repeats", 30);
        double bandwidth = MemoryBandwidth.Measure(threads);
        Console.WriteLine($"memory bandwidth (measured, {threads} threads, read): {bandwidth / 1e9:F1} GB/s");

        using var backend = new CpuBackend(threads);
        Console.WriteLine($"backend: {backend.Name}");
        MeasureDispatch(threads);
        int layerCount = ArgValue(args, "--layers", 1);
        var layers = new FeedForwardWeights[layerCount][];
        for (int l = 0; l < layerCount; l++)
        {
            layers[l] = new FeedForwardWeights[Experts];
            for (int e = 0; e < Experts; e++)
            {
                int seed = (l * Experts + e) * 3;
                layers[l][e] = new FeedForwardWeights(RandomQ8(ExpertWidth, Hidden, seed), RandomQ8(ExpertWidth, Hidden, seed + 1), RandomQ8(Hidden, ExpertWidth, seed + 2));
            }
        }

        FeedForwardWeights[] layer = layers[0];
        foreach (FeedForwardWeights[] l in layers)
        {
            MeasureMatrices(backend, l, bandwidth);
        }

        using var host = new LocalExpertHost(backend, layers, Hidden, ExpertWidth, 64);
        foreach (int batch in new[] { 1, 4, 16, 32 })
        {
            MeasureExperts(host, batch, repeats, bandwidth);
        }

        using WeightMatrix head = RandomQ8(Vocab, Hidden, 1000);
        foreach (int batch in new[] { 1, 16 })
        {
            MeasureDense(backend, head, batch, Math.Max(3, repeats / 5), bandwidth);
        }

        return 0;
    }

    private static void MeasureExperts(LocalExpertHost host, int batch, int repeats, double bandwidth)
    {
        var random = new Random(7);
        float[] hidden = RandomFloats(batch * Hidden, random);
        var output = new float[batch * Hidden];
        var assignments = new ExpertAssignment[batch * TopK];
        Span<int> chosen = stackalloc int[TopK];
        double seconds = 0;
        long bytes = 0;
        for (int r = -2; r < repeats; r++)
        {
            for (int t = 0; t < batch; t++)
            {
                for (int k = 0; k < TopK; k++)
                {
                    int e;
                    do
                    {
                        e = random.Next(Experts);
                    }
                    while (chosen[..k].Contains(e));
                    chosen[k] = e;
                    assignments[t * TopK + k] = new ExpertAssignment(t, e, 1f / TopK);
                }
            }

            host.ResetTouchedBytes();
            long start = Stopwatch.GetTimestamp();
            host.Accumulate((r + 2) % host.LayerCount, hidden, Hidden, assignments, output);
            if (r >= 0)
            {
                seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                bytes += host.TouchedBytes;
            }
        }

        double rate = bytes / seconds;
        Console.WriteLine($"moe layer, batch {batch,2}: {seconds / repeats * 1e3,6:F2} ms, {bytes / repeats / 1e6,6:F1} MB touched, {rate / 1e9,5:F1} GB/s = {100 * rate / bandwidth,3:F0}% of measured");
    }

    /// <summary>
    /// Single-token matmuls over every expert's matrices in a random order: the stream rate of whole matrices.
    /// The first pass also warms them: on this VM the first read of freshly written memory ran at a third
    /// of the later rate, which would otherwise be charged to whichever MoE measurement touched it first.
    /// </summary>
    private static void MeasureMatrices(CpuBackend backend, FeedForwardWeights[] layer, double bandwidth)
    {
        float[] x = RandomFloats(Hidden, new Random(3));
        var y = new float[Hidden];
        int[] order = new int[layer.Length * 3];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Random(5).Shuffle(order);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            for (int pass = 0; pass < 3; pass++)
            {
                long bytes = 0;
                long start = Stopwatch.GetTimestamp();
                foreach (int i in order)
                {
                    FeedForwardWeights expert = layer[i / 3];
                    WeightMatrix w = (i % 3) switch { 0 => expert.Gate, 1 => expert.Up, _ => expert.Down };
                    backend.MatMul(px, w.Cols, 1, w, py, w.Rows);
                    bytes += w.ByteLength;
                }

                double rate = bytes / Stopwatch.GetElapsedTime(start).TotalSeconds;
                Console.WriteLine($"all expert matrices one by one, 1 token, pass {pass + 1}: {rate / 1e9:F1} GB/s = {100 * rate / bandwidth:F0}% of measured");
            }
        }
    }

    private static void MeasureDense(CpuBackend backend, WeightMatrix w, int batch, int repeats, double bandwidth)
    {
        var random = new Random(11);
        float[] x = RandomFloats(batch * w.Cols, random);
        var y = new float[batch * w.Rows];
        double seconds = 0;
        fixed (float* px = x)
        fixed (float* py = y)
        {
            for (int r = -1; r < repeats; r++)
            {
                long start = Stopwatch.GetTimestamp();
                backend.MatMul(px, w.Cols, batch, w, py, w.Rows);
                if (r >= 0)
                {
                    seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
            }
        }

        double perCall = seconds / repeats;
        double macs = (double)w.Rows * w.Cols * batch;
        Console.WriteLine($"lm_head {w.Rows}x{w.Cols}, batch {batch,2}: {perCall * 1e3,6:F2} ms, {macs / perCall / 1e9,6:F1} GMAC/s, " +
                          $"{w.ByteLength / perCall / 1e9,5:F1} GB/s = {100 * w.ByteLength / perCall / bandwidth,3:F0}% of measured");
    }

    /// <summary>What one fork-join of the compute pool costs with nothing to compute (two per expert and matmul in a step).</summary>
    private static void MeasureDispatch(int threads)
    {
        using var pool = new ComputeThreadPool(threads);
        var job = new EmptyJob();
        const int runs = 20_000;
        for (int i = 0; i < 1000; i++)
        {
            pool.Run(job, threads * 4);
        }

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++)
        {
            pool.Run(job, threads * 4);
        }

        Console.WriteLine($"pool fork-join ({threads} threads, empty chunks): {Stopwatch.GetElapsedTime(start).TotalMicroseconds / runs:F1} µs");
    }

    private sealed class EmptyJob : ParallelJob
    {
        public override void Execute(int chunk, int thread)
        {
        }
    }

    /// <summary>Random codes in [-127, 127] with plausible scales and the offsets the kernel expects.</summary>
    private static WeightMatrix RandomQ8(int rows, int cols, int seed)
    {
        var matrix = new WeightMatrix(rows, cols, WeightFormat.Q8Block128);
        var random = new Random(seed);
        int rowBytes = matrix.Q8RowBytes, blocks = matrix.Q8Blocks;
        var codes = new Span<byte>(matrix.Data, checked((int)((long)matrix.Q8PaddedRows * rowBytes)));
        random.NextBytes(codes);
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = codes[i] == 0x80 ? (byte)0x81 : codes[i];
        }

        sbyte* data = (sbyte*)matrix.Data;
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int sum = 0;
                for (int c = b * Q8BlockQuantizer.BlockSize; c < (b + 1) * Q8BlockQuantizer.BlockSize; c++)
                {
                    sum += data[Q8BlockQuantizer.CodeIndex(r, c, rowBytes)];
                }

                long index = Q8BlockQuantizer.BlockIndex(r, b, blocks);
                matrix.Scales[index] = 1e-3f * (1 + random.NextSingle());
                matrix.Q8Offsets[index] = -128 * sum;
            }
        }

        return matrix;
    }

    private static float[] RandomFloats(int n, Random random)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = random.NextSingle() * 2 - 1;
        }

        return values;
    }

    private static int ArgValue(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int value) ? value : fallback;
    }
}
