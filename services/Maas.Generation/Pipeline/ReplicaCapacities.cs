using System.Collections.Concurrent;
using Maas.Grains.Abstractions.Models;
using Microsoft.Extensions.Logging;

namespace Maas.Generation.Pipeline;

/// <summary>
/// How many tokens each replica's KV cache holds, learned from the replica itself (<see cref="IModelReplicaGrain.GetStatusAsync"/>)
/// and remembered for <see cref="Freshness"/>, so a request that could never fit is refused by the api without a trip to
/// the worker, and a request without max_tokens gets a default that fits. Unknown (replica not loaded yet, call failed):
/// no limit here; the engine refuses such a request itself, and its refusal updates what is remembered.
/// </summary>
public sealed partial class ReplicaCapacities(TimeProvider time, ILogger<ReplicaCapacities> logger)
{
    /// <summary>How long a learned capacity is trusted (a worker restarted with another cache size is noticed within this).</summary>
    public static readonly TimeSpan Freshness = TimeSpan.FromMinutes(1);

    /// <summary>Longest wait for a replica's status; past it the request goes on without the api-side check.</summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, (int Tokens, DateTimeOffset LearnedAt)> _kvCacheTokens = new(StringComparer.Ordinal);

    /// <summary>The replica's KV cache capacity in tokens, or null when it is not known.</summary>
    public async ValueTask<int?> KvCacheTokensAsync(IModelReplicaGrain replica, CancellationToken cancellationToken)
    {
        var key = replica.GetPrimaryKeyString();
        var now = time.GetUtcNow();
        if (_kvCacheTokens.TryGetValue(key, out var known) && now - known.LearnedAt < Freshness)
        {
            return known.Tokens;
        }

        try
        {
            var status = await replica.GetStatusAsync().WaitAsync(StatusTimeout, cancellationToken);
            if (status.Description is { KvCacheTokens: > 0 } description)
            {
                Learned(key, description.KvCacheTokens);
                return description.KvCacheTokens;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStatusFailed(logger, ex, key);
        }

        return null;
    }

    /// <summary>Remembers a capacity the replica reported (its status, or the limit of a refusal).</summary>
    public void Learned(string replicaKey, int kvCacheTokens) => _kvCacheTokens[replicaKey] = (kvCacheTokens, time.GetUtcNow());

    [LoggerMessage(Level = LogLevel.Warning, Message = "The status of replica {Replica} could not be read; its KV capacity is checked by the replica alone")]
    private static partial void LogStatusFailed(ILogger logger, Exception exception, string replica);
}
