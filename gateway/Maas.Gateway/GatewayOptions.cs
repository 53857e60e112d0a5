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

    /// <summary>Length of the fixed rate-limit window.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);
}
