using Maas.Plant.Mqtt;
using Microsoft.Extensions.Options;

namespace Maas.Plant.Responses;

/// <summary>
/// At start, generates again the requests a stopped process had claimed but not answered (so a plant's request is never
/// lost to a restart); then hourly deletes responses, deliveries and idle sessions older than
/// <see cref="PlantOptions.ResponseRetention"/>.
/// </summary>
public sealed partial class PlantResponseMaintenance(
    PlantResponseStore store,
    PlantRequestHandler requests,
    IOptions<PlantOptions> options,
    TimeProvider time,
    ILogger<PlantResponseMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ResumeAsync(stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
            do
            {
                try
                {
                    var purged = await store.PurgeAsync(options.Value.ResponseRetention, stoppingToken);
                    LogPurged(logger, purged);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogMaintenanceFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var unfinished = await store.UnfinishedAsync(cancellationToken);
                await Task.WhenAll(unfinished.Select(r => requests.ResumeAsync(r, cancellationToken)));
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMaintenanceFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} plant responses past their retention")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plant response maintenance failed; retrying")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
