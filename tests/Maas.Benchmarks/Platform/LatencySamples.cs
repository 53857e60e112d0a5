using System.Diagnostics;

namespace Maas.Benchmarks.Platform;

/// <summary>Latencies of one kind of call made one after another, sorted, with the percentiles the platform harnesses print.</summary>
public sealed class LatencySamples
{
    private readonly double[] _sortedMilliseconds;

    private LatencySamples(double[] sortedMilliseconds)
    {
        _sortedMilliseconds = sortedMilliseconds;
    }

    /// <summary>Calls <paramref name="call"/> <paramref name="warmup"/> times unmeasured (negative indexes), then <paramref name="count"/> times measured.</summary>
    public static async Task<LatencySamples> MeasureAsync(Func<int, Task> call, int warmup, int count)
    {
        for (var i = 1; i <= warmup; i++)
        {
            await call(-i);
        }

        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return new LatencySamples(times);
    }

    public int Count => _sortedMilliseconds.Length;

    /// <summary>Nearest-rank percentile (0 &lt; p ≤ 1) in milliseconds.</summary>
    public double Percentile(double p) =>
        _sortedMilliseconds[Math.Clamp((int)Math.Ceiling(p * _sortedMilliseconds.Length) - 1, 0, _sortedMilliseconds.Length - 1)];

    public void Print(string label) =>
        Console.WriteLine($"  {label,-42} p50 {Percentile(0.5),7:F2} ms   p99 {Percentile(0.99),7:F2} ms");
}
