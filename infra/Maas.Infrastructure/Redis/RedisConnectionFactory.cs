using StackExchange.Redis;

namespace Maas.Infrastructure.Redis;

/// <summary>
/// Builds multiplexers that never fail start-up: AbortOnConnectFail=false returns a multiplexer
/// that reconnects in the background, so Redis being down degrades features instead of crashing.
/// </summary>
public static class RedisConnectionFactory
{
    public static ConfigurationOptions CreateOptions(string configuration, int connectTimeoutMilliseconds = 3000)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = connectTimeoutMilliseconds;
        options.ConnectRetry = 1;

        // While Redis is down, commands fail at once (callers fail open or degrade) instead of queueing behind it.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    public static async Task<IConnectionMultiplexer> ConnectAsync(string configuration, int connectTimeoutMilliseconds, CancellationToken cancellationToken)
    {
        return await ConnectionMultiplexer.ConnectAsync(CreateOptions(configuration, connectTimeoutMilliseconds)).WaitAsync(cancellationToken);
    }
}
