using System.ComponentModel.DataAnnotations;

namespace Maas.Gateway;

/// <summary>Settings under "Maas:Gateway" (env Maas__Gateway__*), validated at start-up.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Maas:Gateway";

    /// <summary>HMAC secret shared with the api silos for the X-Maas-* headers; no default on purpose.</summary>
    [Required(AllowEmptyStrings = false)]
    [MinLength(16)]
    public string SigningSecret { get; set; } = "";

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

    /// <summary>Redis pub/sub channel carrying revoked key ids ("D" format Guids).</summary>
    [Required(AllowEmptyStrings = false)]
    public string RevocationChannel { get; set; } = "maas:api-keys:revoked";
}
