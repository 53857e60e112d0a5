using Maas.Engine.Kernels;
using Xunit;

namespace Maas.Engine.Tests.Kernels;

public sealed class ComputeThreadPoolTests
{
    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 1)]
    [InlineData(3, 1000)]
    public void Every_chunk_runs_exactly_once_on_the_pool_threads(int threads, int chunks)
    {
        using var pool = new ComputeThreadPool(threads);
        var job = new CountingJob(chunks, threads);
        for (int round = 0; round < 50; round++)
        {
            pool.Run(job, chunks);
        }

        Assert.All(job.Counts, c => Assert.Equal(50, c));
        Assert.All(job.ThreadIds, id => Assert.InRange(id, 0, threads - 1));
    }

    [Fact]
    public void A_failing_chunk_surfaces_on_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new ComputeThreadPool(2);
        var failing = new FailingJob();
        Exception e = Record.Exception(() => pool.Run(failing, 64));
        Assert.NotNull(e);
        Assert.Contains("chunk 13", e is InvalidOperationException { InnerException: { } inner } ? inner.Message : e.Message);
        var job = new CountingJob(10, 2);
        pool.Run(job, 10);
        Assert.All(job.Counts, c => Assert.Equal(1, c));
    }

    private sealed class CountingJob(int chunks, int threads) : ParallelJob
    {
        public int[] Counts { get; } = new int[chunks];

        public int[] ThreadIds { get; } = new int[chunks];

        public override void Execute(int chunk, int thread)
        {
            Interlocked.Increment(ref Counts[chunk]);
            ThreadIds[chunk] = thread < threads ? thread : -1;
        }
    }

    private sealed class FailingJob : ParallelJob
    {
        public override void Execute(int chunk, int thread)
        {
            if (chunk == 13)
            {
                throw new InvalidDataException("chunk 13 failed");
            }
        }
    }
}
