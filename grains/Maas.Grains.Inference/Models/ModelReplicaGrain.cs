using System.Runtime.CompilerServices;
using Maas.Engine.Experts;
using Maas.Engine.Serving;
using Maas.Grains.Abstractions.FineTunes;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Inference.FineTunes;
using Maas.Grains.Hosting;
using Maas.Grains.Placement;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Maas.Grains.Inference.Models;

/// <summary>
/// Relays one model's engine to callers. The engine computes on its own threads and batches all
/// concurrent sequences, so calls interleave ([Reentrant]): the grain only awaits and forwards tokens.
/// Placed on worker silos only; the engine comes from this silo's <see cref="ModelReplicaHost"/>.
/// </summary>
[WorkerPlacement]
[Reentrant]
public sealed partial class ModelReplicaGrain(
    ModelReplicaHost host,
    ExpertRegistry experts,
    ReplicaMetrics metrics,
    ILocalSiloDetails silo,
    SiloRole role,
    ILogger<ModelReplicaGrain> logger) : Grain, IModelReplicaGrain
{
    /// <summary>How often expired consumer leases are looked for: a lease expires at most this late.</summary>
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(1);

    private readonly ConsumerLeases _leases = new();
    private string _model = "";
    private int _replica;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_model, _replica) = ReplicaKey.Parse(this.GetPrimaryKeyString());
        this.RegisterGrainTimer(CheckLeases, new GrainTimerCreationOptions(LeaseCheckInterval, LeaseCheckInterval) { Interleave = true, KeepAlive = false });
        return Task.CompletedTask;
    }

    public Task<bool> RenewConsumerAsync(string requestId) => Task.FromResult(_leases.Renew(requestId));

    public async IAsyncEnumerable<TokenChunk> GenerateAsync(GenerateCommand command, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var generator = await host.GetGeneratorAsync(_model, cancellationToken);
        var fineTune = command.FineTune is { } requested ? await BeginFineTuneAsync(requested) : null;
        LogStarted(logger, command.RequestId, command.TenantId, _model, command.PromptTokens.Length, command.MaxTokens);
        var finish = "aborted";
        var digest = host.WeightsDigest(_model);
        var first = true;
        var refusal = new StrongBox<string?>();
        using var stop = command.ConsumerLease > TimeSpan.Zero
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _leases.Start(command.RequestId, command.ConsumerLease))
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // Cancelling the token (the caller disconnected, or stopped renewing its lease) makes the engine drop the
            // sequence and free its slot.
            await using var events = generator.GenerateAsync(command.ToEngine(fineTune), stop.Token).GetAsyncEnumerator(stop.Token);
            while (await NextAsync(events, refusal))
            {
                var e = events.Current;
                if (e.Finish is { } reason)
                {
                    finish = reason.ToString();
                }
                else if (e.TokenId >= 0)
                {
                    metrics.TokenGenerated(_model);
                }

                // The first and the final chunk name the weights; the rest stay small.
                var chunk = e.ToWire();
                yield return first || chunk.Finish is not null ? chunk with { WeightsDigest = digest } : chunk;
                first = false;
            }
        }
        finally
        {
            if (fineTune is not null)
            {
                experts.End(command.FineTune!.VersionKey);
            }

            // An orphan was counted when its lease expired (CheckLeases): its stream may never get here.
            finish = refusal.Value ?? finish;
            var orphaned = _leases.Expired(command.RequestId);
            _leases.End(command.RequestId);
            if (!orphaned)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    finish = "Cancelled";
                }

                metrics.SequenceFinished(_model, finish);
                LogFinished(logger, command.RequestId, _model, finish);
            }
        }
    }

    /// <summary>
    /// The fine-tune's experts on this silo, loaded by its expert shard here on first use (one grain call per sequence
    /// at most, none per step); counted as running until the sequence ends.
    /// </summary>
    private async Task<FineTuneExperts> BeginFineTuneAsync(FineTuneRef fineTune)
    {
        if (experts.Begin(fineTune.VersionKey) is { } loaded)
        {
            return loaded;
        }

        var shard = GrainFactory.GetGrain<IExpertShardGrain>(ExpertShardKey.Format(fineTune.VersionKey, silo.SiloAddress.ToParsableString()));
        await shard.EnsureLoadedAsync(fineTune, _model);
        return experts.Begin(fineTune.VersionKey)
            ?? throw new InvalidOperationException($"Fine-tune {fineTune.VersionKey} was unloaded while this request started.");
    }

    /// <summary>
    /// The engine's next event; its refusals (too large for the cache, queue full, queue deadline) become
    /// <see cref="ReplicaRefusedException"/>, which Orleans carries to the caller with the reason and the limit.
    /// </summary>
    private static async ValueTask<bool> NextAsync(IAsyncEnumerator<GenerationEvent> events, StrongBox<string?> refusal)
    {
        try
        {
            return await events.MoveNextAsync();
        }
        catch (GenerationRefusedException ex)
        {
            refusal.Value = "Refused" + ex.Reason;
            throw new ReplicaRefusedException(ex.Reason.ToWire(), ex.Limit, ex.Message);
        }
    }

    public Task<ReplicaStatus> GetStatusAsync()
    {
        var state = host.GetState(_model, out var error);
        var generator = host.TryGetLoaded(_model);
        return Task.FromResult(new ReplicaStatus
        {
            Model = _model,
            Replica = _replica,
            SiloAddress = silo.SiloAddress.ToString(),
            SiloRole = role.Name,
            LoadState = state,
            LoadError = error,
            Description = generator?.Model.ToWire(),
            ActiveSequences = generator?.ActiveSequences ?? 0,
            QueuedSequences = generator?.QueuedSequences ?? 0,
        });
    }

    private Task CheckLeases(CancellationToken cancellationToken)
    {
        foreach (var requestId in _leases.CancelExpired())
        {
            metrics.SequenceFinished(_model, "Orphaned");
            LogOrphaned(logger, requestId, _model);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} on {Model}: its consumer stopped renewing its lease; the sequence is cancelled")]
    private static partial void LogOrphaned(ILogger logger, string requestId, string model);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} (tenant {TenantId}) started on {Model}: {PromptTokens} prompt tokens, max {MaxTokens}")]
    private static partial void LogStarted(ILogger logger, string requestId, string tenantId, string model, int promptTokens, int maxTokens);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} on {Model} finished: {Finish}")]
    private static partial void LogFinished(ILogger logger, string requestId, string model, string finish);
}
