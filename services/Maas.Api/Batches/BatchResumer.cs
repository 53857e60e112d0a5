using Maas.Grains.Abstractions.Batches;

namespace Maas.Api.Batches;

/// <summary>
/// When an api silo starts, every batch that was not finished (its silo stopped or crashed) gets its grain run again:
/// it resumes from PostgreSQL with the lines still pending.
/// </summary>
public sealed partial class BatchResumer(BatchStore store, IGrainFactory grains, ILogger<BatchResumer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var batchId in await store.UnfinishedBatchIdsAsync(stoppingToken))
                {
                    LogResuming(logger, batchId);
                    await grains.GetGrain<IBatchJobGrain>(batchId).RunAsync();
                }

                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogResumeFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming batch {BatchId}")]
    private static partial void LogResuming(ILogger logger, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming unfinished batches failed; retrying")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception);
}
