using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Maas.Engine.Kernels;

/// <summary>
/// Measures read bandwidth the way decode uses memory: threads streaming a buffer far larger than the caches.
/// An instance keeps its (touched) buffer, so a benchmark can sample between decode steps: on a shared VM
/// the available bandwidth moves by ±30% within a minute, and a ratio against one earlier figure says
/// more about the neighbours than about the engine.
/// </summary>
public sealed unsafe class MemoryBandwidth : IDisposable
{
    private readonly int _threads;
    private readonly long _bytes;
    private byte* _buffer;

    public MemoryBandwidth(int threads, long bytes = 1L << 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        _threads = threads;
        _bytes = bytes / threads / 128 * 128 * threads;
        _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)_bytes, 64);

        // Touch every page first so the timing sees memory, not page faults.
        const long chunk = 1L << 30;
        for (long offset = 0; offset < _bytes; offset += chunk)
        {
            new Span<byte>(_buffer + offset, (int)Math.Min(chunk, _bytes - offset)).Fill(1);
        }
    }

    /// <summary>One measurement: the best of <paramref name="repeats"/> passes, in bytes per second.</summary>
    public static double Measure(int threads, long bytes = 1L << 30, int repeats = 5)
    {
        using var probe = new MemoryBandwidth(threads, bytes);
        return probe.Measure(repeats);
    }

    /// <summary>The best of <paramref name="repeats"/> passes over the buffer, every thread streaming its own part, in bytes per second.</summary>
    public double Measure(int repeats)
    {
        ObjectDisposedException.ThrowIf(_buffer == null, this);
        double best = 0;
        float sink = 0;
        long perThread = _bytes / _threads;
        var partials = new float[_threads];
        var workers = new Thread[_threads];
        for (int r = 0; r < repeats; r++)
        {
            // Threads are created and parked first, so the timed interval holds only the streaming.
            using var ready = new CountdownEvent(_threads);
            using var go = new ManualResetEventSlim();
            for (int t = 0; t < _threads; t++)
            {
                byte* part = _buffer + t * perThread;
                int index = t;
                workers[t] = new Thread(() =>
                {
                    ready.Signal();
                    go.Wait();
                    partials[index] = Sum((float*)part, perThread / sizeof(float));
                });
                workers[t].Start();
            }

            ready.Wait();
            long start = Stopwatch.GetTimestamp();
            go.Set();
            foreach (Thread worker in workers)
            {
                worker.Join();
            }

            best = Math.Max(best, _bytes / Stopwatch.GetElapsedTime(start).TotalSeconds);
            foreach (float p in partials)
            {
                sink += p;
            }
        }

        GC.KeepAlive(sink);
        return best;
    }

    public void Dispose()
    {
        if (_buffer != null)
        {
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
        }
    }

    private static float Sum(float* data, long count)
    {
        var a = Vector256<float>.Zero;
        var b = Vector256<float>.Zero;
        var c = Vector256<float>.Zero;
        var d = Vector256<float>.Zero;
        for (long i = 0; i + 32 <= count; i += 32)
        {
            a += Vector256.LoadAligned(data + i);
            b += Vector256.LoadAligned(data + i + 8);
            c += Vector256.LoadAligned(data + i + 16);
            d += Vector256.LoadAligned(data + i + 24);
        }

        return Vector256.Sum(a + b + c + d);
    }
}
