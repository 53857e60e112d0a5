using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Drains the local spill into PostgreSQL: every <see cref="MeteringOptions.ReplayInterval"/> while the spill holds
/// records (backing off to 30 s while PostgreSQL stays unreachable), it seals the segment being written and writes each
/// sealed segment, oldest first, in batches through <see cref="UsageEventWriter"/>. A segment is deleted only after all
/// its batches committed; a replay interrupted by a crash starts the segment again, and the idempotent insert ignores
/// what was already stored. Once PostgreSQL took records, the sink commits to it directly again.
/// </summary>
public sealed partial class UsageSpillReplayer(
    UsageSpill spill,
    UsageEventWriter writer,
    PostgresUsageSink sink,
    MeteringMetrics metrics,
    IOptions<MeteringOptions> options,
    TimeProvider time,
    ILogger<UsageSpillReplayer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ReplayInterval;
        var delay = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            spill.PublishState();
            if (!spill.HasRecords && !sink.PostgresDown)
            {
                delay = interval;
                continue;
            }

            try
            {
                await ReplayAsync(stoppingToken);
                sink.PostgresReachable();
                delay = interval;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                delay = delay < interval ? interval : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
                LogReplayFailed(logger, ex, delay.TotalSeconds);
            }
        }
    }

    /// <summary>Replays every sealed segment now; throws (keeping the segment) when PostgreSQL does not take a batch.</summary>
    public async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var batchSize = options.Value.MaxBatchSize;
        var segments = await spill.SealSegmentsAsync(cancellationToken);
        if (segments.Count == 0)
        {
            // Nothing to replay (the failed batch was spilled by another path or never was): just see that PostgreSQL answers.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.CommitTimeout);
            await writer.PingAsync(timeout.Token);
            return;
        }

        foreach (var segment in segments)
        {
            var (records, corrupt) = UsageSpill.ReadSegment(segment);
            if (corrupt > 0)
            {
                metrics.CorruptSpillLines(corrupt);
                LogCorruptLines(logger, corrupt, segment);
            }

            var inserted = 0;
            for (var i = 0; i < records.Count; i += batchSize)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Value.CommitTimeout * 4);
                inserted += await writer.WriteAsync(records.GetRange(i, Math.Min(batchSize, records.Count - i)), timeout.Token);
            }

            spill.Delete(segment);
            metrics.RecordsReplayed(records.Count);
            LogReplayed(logger, records.Count, inserted, segment);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replaying the usage spill into PostgreSQL failed; next attempt in {DelaySeconds} s")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} lines of {Segment} failed their checksum (torn by a crash) and were skipped")]
    private static partial void LogCorruptLines(ILogger logger, int count, string segment);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} usage records ({Inserted} new) from {Segment}")]
    private static partial void LogReplayed(ILogger logger, int count, int inserted, string segment);
}
