using Maas.Gateway.Observability;
using Maas.Infrastructure.Tenancy;
using StackExchange.Redis;

namespace Maas.Gateway.Authentication;

/// <summary>
/// Listens on the revocation channel (payload: the key id, "D" format) and evicts that key from
/// <see cref="ApiKeyCache"/> at once. Keeps retrying while Redis is down; after a reconnect it
/// clears the cache, since notices sent while disconnected were lost.
/// </summary>
public sealed class ApiKeyRevocationSubscriber(
    IConnectionMultiplexer redis,
    ApiKeyCache cache,
    ApiKeyRevocation revocation,
    ILogger<ApiKeyRevocationSubscriber> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the subscription is active (for readiness checks and tests).</summary>
    public Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var channel = revocation.RedisChannel;
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await redis.GetSubscriber().SubscribeAsync(channel, OnMessage).WaitAsync(stoppingToken);
                    _subscribed.TrySetResult();
                    logger.LogInformation("Subscribed to key revocations on {Channel}", channel);
                    break;
                }
                catch (RedisException ex)
                {
                    logger.LogWarning(ex, "Cannot subscribe to {Channel} yet; revoked keys stay usable up to the cache TTL", channel);
                    await Task.Delay(RetryDelay, stoppingToken);
                }
            }

            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        GatewayMetrics.RevocationsReceived.Inc();
        if (ApiKeyRevocation.TryParse(message, out var keyId))
        {
            cache.Evict(keyId);
            logger.LogInformation("API key {KeyId} revoked; evicted from the cache", keyId);
        }
        else
        {
            logger.LogWarning("Ignoring malformed revocation notice on {Channel}", channel);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // Any restored connection may have carried the subscription (RESP3 multiplexes both).
        cache.Clear();
        logger.LogInformation("Redis connection {ConnectionType} restored; API key cache cleared", e.ConnectionType);
    }
}
