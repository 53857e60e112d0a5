using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using StackExchange.Redis;

namespace Maas.Testing;

/// <summary>
/// A real subscription to a revocation channel (the default one unless told otherwise), as a gateway has. Other
/// test runs may publish on the same Redis, so it waits for one specific key id and ignores the rest.
/// </summary>
public sealed class RedisRevocationListener : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ChannelMessageQueue _queue;

    private RedisRevocationListener(IConnectionMultiplexer redis, ChannelMessageQueue queue)
    {
        _redis = redis;
        _queue = queue;
    }

    public static async Task<RedisRevocationListener> StartAsync(string channel = ApiKeyRevocationOptions.DefaultChannel)
    {
        var redis = await RedisConnectionFactory.ConnectAsync(TestEnvironment.RedisConfiguration, 3000, CancellationToken.None);
        if (!redis.IsConnected)
        {
            await redis.DisposeAsync();
            throw new InvalidOperationException("The test Redis must be running (infra/dev/deps.sh start).");
        }

        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        return new RedisRevocationListener(redis, queue);
    }

    public async Task<bool> WaitForAsync(Guid keyId, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _queue.ReadAsync(cts.Token);
                if (ApiKeyRevocation.TryParse(message.Message, out var id) && id == keyId)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.UnsubscribeAsync();
        await _redis.DisposeAsync();
    }
}
