using System.ComponentModel.DataAnnotations;

namespace Maas.Gateway;

/// <summary>
/// The edge's own settings under "Maas:Gateway" (env Maas__Gateway__*), validated at start-up. The signing secret of
/// the same section is <see cref="Infrastructure.Tenancy.GatewaySignatureOptions"/>, shared with the services.
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Maas:Gateway";

    /// <summary>Largest request body accepted; bigger ones get 413 before anything is forwarded.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a found key (active or revoked) is trusted without asking PostgreSQL again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ApiKeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long "no such key" / "tenant disabled" is remembered; short, so a new key works at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ApiKeyNegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound on cached lookups, so floods of random keys cannot grow memory without limit.</summary>
    [Range(1, int.MaxValue)]
    public int ApiKeyCacheMaxEntries { get; set; } = 100_000;

    /// <summary>
    /// How long a key found before stays usable while PostgreSQL cannot be asked (its fresh lifetime,
    /// <see cref="ApiKeyCacheTtl"/>, has passed and the lookup fails). Revocations keep arriving through Redis meanwhile;
    /// unknown keys get 503.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ApiKeyStaleTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The window the requests-per-minute limits are counted over (a sliding GCRA window, see RedisRequestRateLimiter).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed authentications one client address may cause per minute before its requests get 429 without a look at their key.</summary>
    [Range(1, 1_000_000)]
    public int FailedAuthenticationsPerMinute { get; set; } = 30;
}
