using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Maas.Generation.Models;

/// <summary>
/// Surfaces served models without a price in effect, a configuration error (such models are refused at admission,
/// never served at a silent zero): at start and every catalog refresh interval it logs an error per newly unpriced
/// model, sets <c>maas_api_unpriced_models</c>, and reports the "pricing" readiness check Degraded (naming the models)
/// while any is unpriced. `maas model list` shows the same for registered models.
/// </summary>
public sealed partial class ModelPriceCoverage(
    ServedModelCatalog catalog,
    PriceBookCache prices,
    IOptions<ModelCatalogRefreshOptions> options,
    TimeProvider time,
    ILogger<ModelPriceCoverage> logger) : BackgroundService, IHealthCheck
{
    public const string HealthCheckName = "pricing";

    private static readonly Gauge UnpricedModels = Metrics.CreateGauge(
        "maas_api_unpriced_models", "Served models with no price in effect (their requests are refused with 503 model_not_priced).");

    private volatile IReadOnlyList<string> _unpriced = [];
    private volatile bool _checked;

    /// <summary>Served models without a price in effect, as of the last check.</summary>
    public IReadOnlyList<string> Unpriced => _unpriced;

    /// <summary>Checks now; returns the unpriced models.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(CancellationToken cancellationToken)
    {
        var book = await prices.GetAsync(cancellationToken);
        var now = time.GetUtcNow();
        var unpriced = catalog.All.Where(m => book.Find(m.Id, fineTune: null, now) is null).Select(m => m.Id).ToList();
        foreach (var model in unpriced.Except(_unpriced, StringComparer.Ordinal))
        {
            LogUnpriced(logger, model);
        }

        _unpriced = unpriced;
        _checked = true;
        UnpricedModels.Set(unpriced.Count);
        return unpriced;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!_checked
            ? HealthCheckResult.Healthy("prices not checked yet")
            : _unpriced.Count == 0
                ? HealthCheckResult.Healthy("every served model has a price")
                : HealthCheckResult.Degraded($"no price in effect for: {string.Join(", ", _unpriced)} (set one with `maas price set`)"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} has no price in effect: its requests are refused until one is set (`maas price set --model {Model} ...`)")]
    private static partial void LogUnpriced(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking model prices failed (PostgreSQL unreachable?); retrying at the next refresh")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
