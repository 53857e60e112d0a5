using StackExchange.Redis;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Tells every gateway that a key was revoked, so it drops the key from its cache at once instead
/// of when the cache entry expires. Payload: the key id as a Guid "D" string, on the channel of
/// <see cref="ApiKeyRevocationOptions.RevocationChannel"/>.
/// </summary>
public sealed class ApiKeyRevocation(string channel)
{
    public string Channel { get; } = string.IsNullOrWhiteSpace(channel) ? throw new ArgumentException("The revocation channel must not be empty.", nameof(channel)) : channel;

    public RedisChannel RedisChannel { get; } = RedisChannel.Literal(channel);

    /// <summary>Publishes the revoked key's id; returns how many subscribers received it.</summary>
    public async Task<long> PublishAsync(IConnectionMultiplexer redis, Guid keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return await redis.GetSubscriber().PublishAsync(RedisChannel, keyId.ToString("D")).WaitAsync(cancellationToken);
    }

    /// <summary>Parses a payload received on <see cref="Channel"/>; false for anything that is not a key id.</summary>
    public static bool TryParse(RedisValue message, out Guid keyId)
    {
        return Guid.TryParseExact(message.ToString(), "D", out keyId);
    }
}
