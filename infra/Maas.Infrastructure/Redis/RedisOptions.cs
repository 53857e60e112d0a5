using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Redis;

/// <summary>StackExchange.Redis configuration string from ConnectionStrings:Redis, e.g. "127.0.0.1:56379".</summary>
public sealed class RedisOptions
{
    public const string ConnectionStringName = "Redis";

    [Required(AllowEmptyStrings = false, ErrorMessage = "ConnectionStrings:Redis (env ConnectionStrings__Redis) is required.")]
    public string? Configuration { get; set; }

    /// <summary>Milliseconds per connect attempt; the multiplexer keeps retrying in the background after that.</summary>
    [Range(100, 60_000)]
    public int ConnectTimeoutMilliseconds { get; set; } = 3000;
}
