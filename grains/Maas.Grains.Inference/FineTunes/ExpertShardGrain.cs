using System.Diagnostics;
using Maas.Checkpoints;
using Maas.Engine.Experts;
using Maas.Grains.Abstractions.FineTunes;
using Maas.Grains.Inference.Models;
using Maas.Grains.Placement;
using Maas.Infrastructure.FineTunes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Maas.Grains.Inference.FineTunes;

/// <summary>
/// One fine-tune version's replacement experts on one worker silo (<see cref="ExpertShardKey"/>; placed on the silo its
/// key names). Loads them once through the engine's sparse loader into the silo's <see cref="ExpertRegistry"/>, where
/// replica grains hand them to the engine per sequence. A timer unloads them once no sequence has used them for
/// <see cref="FineTuneOptions.IdleUnloadAfter"/>; the native memory returns when the last running sequence ends.
/// </summary>
[WorkerPlacement]
public sealed partial class ExpertShardGrain(
    ModelReplicaHost host,
    ExpertRegistry registry,
    IOptions<FineTuneOptions> options,
    ILocalSiloDetails silo,
    ILogger<ExpertShardGrain> logger) : Grain, IExpertShardGrain
{
    private readonly TimeSpan _idle = options.Value.IdleUnloadAfter;
    private string _versionKey = "";
    private FineTuneExperts? _experts;
    private TimeSpan _loadTime;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!ExpertShardKey.TryParse(this.GetPrimaryKeyString(), out _versionKey, out _))
        {
            throw new ArgumentException($"'{this.GetPrimaryKeyString()}' is not an expert shard key");
        }

        var check = TimeSpan.FromTicks(Math.Clamp(_idle.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(30).Ticks));
        this.RegisterGrainTimer(CheckIdle, new GrainTimerCreationOptions(check, check) { KeepAlive = false });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Unload("deactivated");
        return Task.CompletedTask;
    }

    public async Task<ExpertShardStatus> EnsureLoadedAsync(FineTuneRef fineTune, string model)
    {
        if (fineTune.VersionKey != _versionKey)
        {
            throw new ArgumentException($"shard {_versionKey} was asked to load {fineTune.VersionKey}", nameof(fineTune));
        }

        if (_experts is null)
        {
            var generator = await host.GetGeneratorAsync(model, CancellationToken.None);
            LogLoading(logger, _versionKey, fineTune.ArtifactPath, model);
            var watch = Stopwatch.StartNew();
            try
            {
                // Reads and converts weights: off the grain's scheduler, on the thread pool.
                _experts = await Task.Run(() => generator.LoadFineTune(fineTune.ArtifactPath, _versionKey));
            }
            catch (Exception ex) when (ex is CheckpointException or IOException or UnauthorizedAccessException)
            {
                ExpertShardMetrics.LoadFailed();
                LogLoadFailed(logger, ex, _versionKey, fineTune.ArtifactPath);
                DeactivateOnIdle();
                throw new InvalidOperationException($"Fine-tune {fineTune.Id} version {fineTune.Version} cannot be loaded: {ex.Message}", ex);
            }

            _loadTime = watch.Elapsed;
            registry.Register(_versionKey, _experts);
            ExpertShardMetrics.LoadSucceeded(_loadTime);
            LogLoaded(logger, _versionKey, _experts.ExpertCount, _experts.ByteLength, _loadTime.TotalMilliseconds);
        }

        return Status();
    }

    public Task UnloadAsync()
    {
        Unload("deleted");
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task<ExpertShardStatus> GetStatusAsync() => Task.FromResult(Status());

    private Task CheckIdle(CancellationToken cancellationToken)
    {
        if (_experts is null)
        {
            DeactivateOnIdle();
            return Task.CompletedTask;
        }

        if (registry.TryRemoveIfIdle(_versionKey, _idle) is { } idle)
        {
            idle.Dispose();
            _experts = null;
            ExpertShardMetrics.Unloaded("idle");
            LogUnloaded(logger, _versionKey, "idle");
            DeactivateOnIdle();
        }
        else
        {
            // In use: Orleans must not collect the shard (its experts would go with it) while sequences need it.
            DelayDeactivation(_idle + TimeSpan.FromMinutes(1));
        }

        return Task.CompletedTask;
    }

    private void Unload(string reason)
    {
        if (_experts is null)
        {
            return;
        }

        registry.Remove(_versionKey);
        _experts.Dispose();
        _experts = null;
        ExpertShardMetrics.Unloaded(reason);
        LogUnloaded(logger, _versionKey, reason);
    }

    private ExpertShardStatus Status() =>
        new(_versionKey, silo.SiloAddress.ToParsableString(), _experts is not null, _experts?.ByteLength ?? 0, _experts?.ExpertCount ?? 0, _loadTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tune {FineTune}: loading experts from {Path} for model {Model}")]
    private static partial void LogLoading(ILogger logger, string fineTune, string path, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tune {FineTune}: {Experts} experts, {Bytes} bytes loaded in {Milliseconds:F0} ms")]
    private static partial void LogLoaded(ILogger logger, string fineTune, int experts, long bytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fine-tune {FineTune}: loading {Path} failed")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string fineTune, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fine-tune {FineTune}: experts unloaded ({Reason})")]
    private static partial void LogUnloaded(ILogger logger, string fineTune, string reason);
}
