using Maas.Grains.Abstractions.FineTunes;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Placement;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Maas.Grains.Placement;

/// <summary>
/// Picks a worker silo (silo metadata <see cref="SiloRoles.MetadataKey"/> = "worker"). Among workers, silos
/// that list the grain's model in <see cref="SiloRoles.ModelsMetadataKey"/> are preferred because they
/// already hold (or load) its weights; the replica number spreads replicas of one model over those silos. An expert
/// shard (<see cref="ExpertShardKey"/>) goes to the worker its key names: the silo of the replica that runs its
/// fine-tune, whose engine reads the experts in-process.
/// </summary>
public sealed partial class WorkerPlacementDirector(ISiloMetadataCache metadata, ILogger<WorkerPlacementDirector> logger) : IPlacementDirector
{
    // Metadata of a silo that just joined reaches the cache shortly after membership does.
    private static readonly TimeSpan MetadataWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        if (ExpertShardKey.TryParse(key, out _, out var siloText))
        {
            return PlaceOnNamedSilo(target, context, siloText);
        }

        string? model = null;
        var replica = 0;
        if (key.Contains('/'))
        {
            try
            {
                (model, replica) = ReplicaKey.Parse(key);
            }
            catch (FormatException)
            {
                model = null;
            }
        }

        var deadline = DateTime.UtcNow + MetadataWait;
        while (true)
        {
            var workers = context.GetCompatibleSilos(target).Where(IsWorker).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
            if (workers.Length > 0)
            {
                var holding = model is null ? [] : workers.Where(s => Serves(s, model)).ToArray();
                var candidates = holding.Length > 0 ? holding : workers;
                var chosen = candidates[replica % candidates.Length];
                LogPlaced(logger, target.GrainIdentity, chosen, holding.Length > 0);
                return chosen;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new OrleansException($"No silo with role '{SiloRoles.Worker}' is available to host {target.GrainIdentity}.");
            }

            await Task.Delay(PollInterval);
        }
    }

    private SiloAddress PlaceOnNamedSilo(PlacementTarget target, IPlacementContext context, string siloText)
    {
        SiloAddress named;
        try
        {
            named = SiloAddress.FromParsableString(siloText);
        }
        catch (FormatException ex)
        {
            throw new OrleansException($"{target.GrainIdentity}: '{siloText}' is not a silo address.", ex);
        }

        if (!context.GetCompatibleSilos(target).Contains(named) || !IsWorker(named))
        {
            throw new OrleansException($"{target.GrainIdentity} belongs on worker silo {named}, which is not an active worker of this cluster.");
        }

        LogPlaced(logger, target.GrainIdentity, named, true);
        return named;
    }

    private bool IsWorker(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.MetadataKey, out var role) && role == SiloRoles.Worker;

    private bool Serves(SiloAddress silo, string model) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.ModelsMetadataKey, out var models)
        && models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(model, StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Placing {Grain} on worker silo {Silo} (holds model: {HoldsModel})")]
    private static partial void LogPlaced(ILogger logger, GrainId grain, SiloAddress silo, bool holdsModel);
}
