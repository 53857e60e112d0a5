using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Maas.Engine.Kernels;

/// <summary>Measures read bandwidth the way decode uses memory: many threads streaming a buffer far larger than the caches.</summary>
public static class MemoryBandwidth
{
    public static unsafe double Measure(int threads, long bytes = 1L << 30, int repeats = 5)
    {
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            // Touch every page first so the timing sees memory, not page faults.
            new Span<byte>(buffer, int.MaxValue / 2).Fill(1);
            new Span<byte>(buffer + int.MaxValue / 2, (int)(bytes - int.MaxValue / 2)).Fill(1);
            var best = 0.0;
            var sink = 0f;
            for (var r = 0; r < repeats; r++)
            {
                var partials = new float[threads];
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var workers = new Thread[threads];
                var perThread = bytes / threads / 64 * 64;
                for (var t = 0; t < threads; t++)
                {
                    var index = t;
                    workers[t] = new Thread(() => partials[index] = Sum((float*)(buffer + index * perThread), perThread / sizeof(float)));
                    workers[t].Start();
                }

                foreach (var worker in workers)
                {
                    worker.Join();
                }

                var rate = perThread * threads / watch.Elapsed.TotalSeconds;
                best = Math.Max(best, rate);
                foreach (var p in partials)
                {
                    sink += p;
                }
            }

            GC.KeepAlive(sink);
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static unsafe float Sum(float* data, long count)
    {
        var a = Vector256<float>.Zero;
        var b = Vector256<float>.Zero;
        var c = Vector256<float>.Zero;
        var d = Vector256<float>.Zero;
        long i = 0;
        for (; i + 32 <= count; i += 32)
        {
            a += Vector256.LoadAligned(data + i);
            b += Vector256.LoadAligned(data + i + 8);
            c += Vector256.LoadAligned(data + i + 16);
            d += Vector256.LoadAligned(data + i + 24);
        }

        return Vector256.Sum(a + b + c + d);
    }
}
