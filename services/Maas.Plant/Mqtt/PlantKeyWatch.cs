using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Maas.Plant.Mqtt;

/// <summary>
/// Ends the connections of revoked keys: at once on a notice on the revocation channel that `maas key revoke` and the
/// gateways use, and, for notices lost while Redis was away, by checking every connected key in PostgreSQL every
/// <see cref="PlantOptions.KeyRecheckInterval"/> (and right after Redis comes back).
/// </summary>
public sealed partial class PlantKeyWatch(
    IConnectionMultiplexer redis,
    ApiKeyRevocation revocation,
    PlantMqttEndpoint endpoint,
    PlantKeyCheck keys,
    IOptions<PlantOptions> options,
    TimeProvider time,
    ILogger<PlantKeyWatch> logger) : BackgroundService
{
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _recheckNow = new(0, 1);

    /// <summary>Completes once revocation notices are received.</summary>
    public Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnRestored;
        try
        {
            _ = SubscribeAsync(stoppingToken);
            using var timer = new PeriodicTimer(options.Value.KeyRecheckInterval, time);
            while (!stoppingToken.IsCancellationRequested)
            {
                var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                await Task.WhenAny(tick, _recheckNow.WaitAsync(stoppingToken));
                await RecheckAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            redis.ConnectionRestored -= OnRestored;
        }
    }

    private async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(revocation.RedisChannel, (channel, message) =>
                {
                    if (ApiKeyRevocation.TryParse(message, out var keyId))
                    {
                        _ = endpoint.DisconnectKeyAsync(keyId, "revoked");
                    }
                }).WaitAsync(stoppingToken);
                _subscribed.TrySetResult();
                return;
            }
            catch (RedisException ex)
            {
                LogNotSubscribed(logger, ex, revocation.Channel);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private async Task RecheckAsync(CancellationToken cancellationToken)
    {
        foreach (var keyId in endpoint.ConnectedClients.Select(c => c.KeyId).Distinct().ToArray())
        {
            try
            {
                if (!await keys.IsActiveAsync(keyId, cancellationToken))
                {
                    await endpoint.DisconnectKeyAsync(keyId, "no longer active");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // PostgreSQL away: connected keys stay until it answers again; new connections are refused meanwhile.
                LogRecheckFailed(logger, ex);
                return;
            }
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Notices sent while disconnected are lost: check every connected key now.
        if (_recheckNow.CurrentCount == 0)
        {
            try
            {
                _recheckNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already pending.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot subscribe to key revocations on {Channel} yet; connected keys are re-checked periodically")]
    private static partial void LogNotSubscribed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-checking connected keys failed")]
    private static partial void LogRecheckFailed(ILogger logger, Exception exception);
}
