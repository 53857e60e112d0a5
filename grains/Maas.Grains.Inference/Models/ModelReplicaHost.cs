using System.Collections.Concurrent;
using Maas.Checkpoints;
using Maas.Engine.Serving;
using Maas.Grains.Abstractions.Models;
using Maas.Infrastructure.Models;
using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Grains.Inference.Models;

/// <summary>
/// Owns the engines of a worker silo: each configured model is loaded once, in the background, at start;
/// every replica grain of that model on this silo shares the engine (it batches concurrent sequences).
/// A model only in the PostgreSQL models table is loaded on first use if Maas:ModelHosting:AllowOnDemandLoads allows it. The configured models' load state
/// feeds the worker's readiness.
/// </summary>
public sealed partial class ModelReplicaHost(
    IOptions<ModelCatalogOptions<EngineModelOptions>> catalog,
    IOptions<ModelHostingOptions> hosting,
    IServiceScopeFactory scopes,
    IModelLoader loader,
    ReplicaMetrics metrics,
    ILogger<ModelReplicaHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task<ITextGenerator>> _loads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _digests = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    /// <summary>Configured models and any loaded on demand.</summary>
    public IReadOnlyList<string> ModelIds => [.. catalog.Value.Models.Select(m => m.Id).Union(_loads.Keys, StringComparer.Ordinal)];

    /// <summary>True when every configured model has loaded.</summary>
    public bool AllReady => catalog.Value.Models.All(m => GetState(m.Id) == ModelLoadState.Ready);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var model in catalog.Value.Models)
        {
            _ = Load(model);
        }

        metrics.Observe(this);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
    }

    public ModelLoadState GetState(string model) => GetState(model, out _);

    public ModelLoadState GetState(string model, out string? error)
    {
        error = null;
        if (!_loads.TryGetValue(model, out var load))
        {
            return catalog.Value.Find(model) is null ? ModelLoadState.NotConfigured : ModelLoadState.Loading;
        }

        if (load.IsCompletedSuccessfully)
        {
            return ModelLoadState.Ready;
        }

        if (load.IsFaulted || load.IsCanceled)
        {
            error = load.Exception?.GetBaseException().Message ?? "cancelled";
            return ModelLoadState.Failed;
        }

        return ModelLoadState.Loading;
    }

    /// <summary>The loaded engine, or null while it is loading, failed, or not configured here.</summary>
    public ITextGenerator? TryGetLoaded(string model) =>
        _loads.TryGetValue(model, out var load) && load.IsCompletedSuccessfully ? load.Result : null;

    /// <summary>The digest of the checkpoint files the model was loaded from (<see cref="CheckpointDigest"/>), null if it could not be read.</summary>
    public string? WeightsDigest(string model) => _digests.GetValueOrDefault(model);

    /// <summary>
    /// Waits for the model's engine; throws if the model is not configured here (nor, with
    /// <see cref="ModelHostingOptions.AllowOnDemandLoads"/>, an enabled database model), or loading failed.
    /// </summary>
    public async Task<ITextGenerator> GetGeneratorAsync(string model, CancellationToken cancellationToken)
    {
        var entry = catalog.Value.Find(model)
            ?? (_loads.ContainsKey(model) ? new EngineModelOptions { Id = model } : null)
            ?? (hosting.Value.AllowOnDemandLoads ? await FindInDatabaseAsync(model, cancellationToken) : null)
            ?? throw new InvalidOperationException(hosting.Value.AllowOnDemandLoads
                ? $"Model '{model}' is neither configured on this worker (Maas:Models) nor enabled in the models table."
                : $"Model '{model}' is not configured on this worker (Maas:Models), and Maas:ModelHosting:AllowOnDemandLoads is off.");
        return await Load(entry).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once as a singleton and once as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        foreach (var load in _loads.Values)
        {
            if (load.IsCompletedSuccessfully)
            {
                await load.Result.DisposeAsync();
            }
        }

        _stopping.Dispose();
    }

    private async Task<EngineModelOptions?> FindInDatabaseAsync(string model, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        if (scope.ServiceProvider.GetService<MaasDbContext>() is not { } db)
        {
            return null;
        }

        var row = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == model && m.Enabled, cancellationToken);
        return row is null ? null : new EngineModelOptions { Id = row.Id, Path = row.Path, OwnedBy = row.OwnedBy };
    }

    private Task<ITextGenerator> Load(EngineModelOptions model) =>
        _loads.GetOrAdd(model.Id, _ => LoadLoggedAsync(model));

    private async Task<ITextGenerator> LoadLoggedAsync(EngineModelOptions model)
    {
        LogLoading(logger, model.Id, model.Path);
        try
        {
            var generator = await loader.LoadAsync(model, _stopping.Token).ConfigureAwait(false);
            await DigestAsync(model).ConfigureAwait(false);
            LogLoaded(logger, model.Id, generator.Model.Architecture, generator.Model.ContextLength);
            return generator;
        }
        catch (Exception ex)
        {
            LogLoadFailed(logger, ex, model.Id, model.Path);
            throw;
        }
    }

    /// <summary>Once per model, at load: usage records carry it so an auditor can tell which exact weights answered.</summary>
    private async Task DigestAsync(EngineModelOptions model)
    {
        try
        {
            _digests[model.Id] = await CheckpointDigest.ComputeAsync(model.Path, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CheckpointException)
        {
            LogDigestFailed(logger, ex, model.Id, model.Path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: cannot digest the checkpoint files in {Path}; its usage records will name no weights digest")]
    private static partial void LogDigestFailed(ILogger logger, Exception exception, string model, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {Model} from {Path}")]
    private static partial void LogLoading(ILogger logger, string model, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded: {Architecture}, context {ContextLength}")]
    private static partial void LogLoaded(ILogger logger, string model, string architecture, int contextLength);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading model {Model} from {Path} failed")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string model, string path);
}
