using System.Diagnostics;

namespace Maas.Engine.Kernels;

/// <summary>
/// Dedicated compute threads (never the .NET thread pool, so Orleans' scheduler threads are not
/// used for compute). The calling thread works as thread 0; chunks are taken with an atomic counter.
/// One job runs at a time.
/// </summary>
internal sealed class ComputeThreadPool : IDisposable
{
    /// <summary>How long an idle compute thread spins before it blocks (a few steps' worth of gaps between dispatches).</summary>
    private const long SpinMicroseconds = 300;

    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _start = new(0);
    // A semaphore, not a ManualResetEventSlim: the latter creates its lock object lazily on the first
    // wait that really blocks (only under contention), which would be an allocation in a decode step.
    private readonly SemaphoreSlim _done = new(0);
    private ParallelJob? _job;
    private int _chunkCount;
    private int _nextChunk;
    private int _pendingWorkers;
    private Exception? _failure;
    private volatile bool _disposed;

    public ComputeThreadPool(int threadCount)
    {
        ThreadCount = threadCount <= 0 ? Environment.ProcessorCount : threadCount;
        _workers = new Thread[ThreadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"maas-compute-{index}",
            };
            _workers[i].Start();
        }
    }

    public int ThreadCount { get; }

    public void Run(ParallelJob job, int chunks)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int helpers = Math.Min(_workers.Length, chunks - 1);
        if (helpers <= 0)
        {
            for (int c = 0; c < chunks; c++)
            {
                job.Execute(c, 0);
            }

            return;
        }

        _job = job;
        _chunkCount = chunks;
        _nextChunk = 0;
        _failure = null;
        _pendingWorkers = helpers;
        _start.Release(helpers);
        try
        {
            Work(0);
        }
        finally
        {
            SpinUntilSignalled(_done);
            _done.Wait();
            _job = null;
        }

        if (_failure is { } failure)
        {
            throw new InvalidOperationException("a compute thread failed", failure);
        }
    }

    private void WorkerLoop(int index)
    {
        while (true)
        {
            SpinUntilSignalled(_start);
            _start.Wait();
            if (_disposed)
            {
                return;
            }

            try
            {
                Work(index);
            }
            catch (Exception e)
            {
                _failure = e;
                Volatile.Write(ref _nextChunk, int.MaxValue / 2);
            }
            finally
            {
                if (Interlocked.Decrement(ref _pendingWorkers) == 0)
                {
                    _done.Release();
                }
            }
        }
    }

    /// <summary>
    /// Busy-waits up to <see cref="SpinMicroseconds"/> for the semaphore to have a count, so the Wait that
    /// follows returns without blocking. A decode step is ~100 fork-joins a few hundred µs apart; a worker
    /// that blocked between them had to be woken through the kernel, which on this VM made a 0.1 ms matmul
    /// (kv_a_proj at batch 16) take 0.3 ms. Spinning is only a pre-check: the semaphore stays the signal.
    /// </summary>
    private static void SpinUntilSignalled(SemaphoreSlim semaphore)
    {
        long start = Stopwatch.GetTimestamp();
        long limit = SpinMicroseconds * Stopwatch.Frequency / 1_000_000;
        while (semaphore.CurrentCount == 0 && Stopwatch.GetTimestamp() - start < limit)
        {
            Thread.SpinWait(16);
        }
    }

    private void Work(int thread)
    {
        ParallelJob job = _job!;
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
        {
            job.Execute(chunk, thread);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_workers.Length > 0)
        {
            _start.Release(_workers.Length);
        }

        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        _start.Dispose();
        _done.Dispose();
    }
}
