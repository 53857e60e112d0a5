using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Keeps usage_events' monthly partitions: at start and every <see cref="MeteringOptions.PartitionMaintenanceInterval"/>
/// it creates the partitions of the current and the next <see cref="MeteringOptions.PartitionMonthsAhead"/> months, and
/// drops the ones older than <see cref="MeteringOptions.RetentionMonths"/> (whole months: no row-by-row deletes).
/// Every api process runs it; the SQL functions are idempotent and serialise concurrent creators. The writer creates a
/// missing partition on demand too, so a failed run here never loses a record.
/// </summary>
public sealed partial class UsagePartitionMaintenance(
    UsageEventWriter writer,
    IOptions<MeteringOptions> options,
    TimeProvider time,
    ILogger<UsagePartitionMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PartitionMaintenanceInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>Creates the coming months' partitions and drops expired ones; returns the dropped partitions' names.</summary>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await writer.EnsurePartitionsAsync(Enumerable.Range(0, options.Value.PartitionMonthsAhead + 1).Select(i => month.AddMonths(i)), cancellationToken);
        if (options.Value.RetentionMonths <= 0)
        {
            return [];
        }

        var dropped = await writer.DropPartitionsAsync(month.AddMonths(-options.Value.RetentionMonths), cancellationToken);
        foreach (var name in dropped)
        {
            LogDropped(logger, name, options.Value.RetentionMonths);
        }

        return dropped;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintaining usage_events partitions failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped usage partition {Partition} (retention {Months} months)")]
    private static partial void LogDropped(ILogger logger, string partition, int months);
}
