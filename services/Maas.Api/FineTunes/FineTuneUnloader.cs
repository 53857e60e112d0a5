using Maas.Grains.Abstractions.FineTunes;
using Maas.Grains.Abstractions.Placement;
using Maas.Infrastructure.Persistence;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Maas.Api.FineTunes;

/// <summary>
/// What a delete does on the workers: every version's expert shard on every active worker silo (silo metadata
/// <c>maas.role=worker</c>) unloads its experts at once, so no worker keeps serving a deleted fine-tune.
/// </summary>
public sealed partial class FineTuneUnloader(IGrainFactory grains, ISiloMetadataCache metadata, ILogger<FineTuneUnloader> logger)
{
    public async Task UnloadEverywhereAsync(IEnumerable<FineTune> versions, CancellationToken cancellationToken)
    {
        var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
        var workers = silos.Keys.Where(IsWorker).ToArray();
        var unloads = new List<Task>();
        foreach (var version in versions)
        {
            var versionKey = new FineTuneRef { Id = version.Id, Version = version.Version, ArtifactPath = version.ArtifactPath, Digest = version.Digest }.VersionKey;
            unloads.AddRange(workers.Select(silo => UnloadAsync(ExpertShardKey.Format(versionKey, silo.ToParsableString()))));
        }

        await Task.WhenAll(unloads).WaitAsync(cancellationToken);
    }

    private bool IsWorker(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.MetadataKey, out var role) && role == SiloRoles.Worker;

    private async Task UnloadAsync(string shardKey)
    {
        try
        {
            await grains.GetGrain<IExpertShardGrain>(shardKey).UnloadAsync();
        }
        catch (Exception ex) when (ex is OrleansException or ArgumentException or TimeoutException)
        {
            // A worker that left meanwhile holds nothing any more; the others still unloaded.
            LogUnloadFailed(logger, ex, shardKey);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expert shard {Shard} could not be told to unload")]
    private static partial void LogUnloadFailed(ILogger logger, Exception exception, string shard);
}
