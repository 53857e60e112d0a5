using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Generation.Models;

/// <summary>Re-reads the PostgreSQL models table into <see cref="ServedModelCatalog"/> at start and every <see cref="ModelCatalogRefreshOptions.RefreshInterval"/>.</summary>
public sealed partial class ModelCatalogRefresher(
    ServedModelCatalog catalog,
    IServiceScopeFactory scopes,
    IOptions<ModelCatalogRefreshOptions> options,
    ILogger<ModelCatalogRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await catalog.RefreshAsync(scope.ServiceProvider.GetRequiredService<MaasDbContext>(), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Keep serving the models known so far while PostgreSQL is unreachable.
                LogRefreshFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the models table failed; keeping the current model catalog")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
