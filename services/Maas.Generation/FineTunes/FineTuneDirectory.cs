using Maas.Grains.Abstractions.FineTunes;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Generation.FineTunes;

/// <summary>
/// The api's view of tenant fine-tunes: the <see cref="FineTuneStore"/> over the configured artifact root
/// ("Maas:FineTunes"), and lookups of a tenant's fine-tune by model name in PostgreSQL (one indexed query per request,
/// so a delete or a new version applies to the next request).
/// </summary>
public sealed partial class FineTuneDirectory(
    IServiceScopeFactory scopes,
    IGrainFactory grains,
    IOptions<FineTuneOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<FineTuneDirectory> logger)
{
    public FineTuneOptions Options { get; } = options.Value;

    public FineTuneStore Store { get; } = new(options.Value.ResolveArtifactRoot(environment.ContentRootPath), time);

    /// <summary>The latest live version of the tenant's fine-tune named <paramref name="model"/>, or null (unknown, deleted, another tenant's).</summary>
    public async Task<FineTune?> FindAsync(string tenantId, string model, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        return await FineTuneStore.FindAsync(db, tenantId, model, cancellationToken);
    }

    public async Task<IReadOnlyList<FineTune>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        return await FineTuneStore.ListAsync(db, tenantId, cancellationToken);
    }

    /// <summary>
    /// Unloads the versions' experts on every silo of the cluster (shards exist only on workers; asking elsewhere fails
    /// harmlessly): what a delete does so that no worker keeps serving them.
    /// </summary>
    public async Task UnloadEverywhereAsync(IEnumerable<FineTune> versions, CancellationToken cancellationToken)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var silos = await management.GetHosts(onlyActive: true).WaitAsync(cancellationToken);
        var unloads = new List<Task>();
        foreach (var version in versions)
        {
            var versionKey = new FineTuneRef { Id = version.Id, Version = version.Version, ArtifactPath = version.ArtifactPath, Digest = version.Digest }.VersionKey;
            foreach (var silo in silos.Keys)
            {
                unloads.Add(UnloadAsync(ExpertShardKey.Format(versionKey, silo.ToParsableString())));
            }
        }

        await Task.WhenAll(unloads).WaitAsync(cancellationToken);
    }

    private async Task UnloadAsync(string shardKey)
    {
        try
        {
            await grains.GetGrain<IExpertShardGrain>(shardKey).UnloadAsync();
        }
        catch (Exception ex) when (ex is OrleansException or ArgumentException or TimeoutException)
        {
            LogUnloadSkipped(logger, shardKey, ex.Message);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "Expert shard {Shard}: not unloaded ({Reason})")]
    private static partial void LogUnloadSkipped(Microsoft.Extensions.Logging.ILogger logger, string shard, string reason);
}
