using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// The gateway ↔ service contract (configuration section "Maas:Gateway"): the HMAC secret the gateway signs the
/// X-Maas-* identity headers with and the services verify them with, and how far a signed timestamp may drift.
/// </summary>
public sealed class GatewaySignatureOptions
{
    public const string SectionName = "Maas:Gateway";

    /// <summary>Shared by the gateway and the services behind it; required, no default on purpose.</summary>
    [Required(AllowEmptyStrings = false), MinLength(16)]
    public string SigningSecret { get; set; } = "";

    /// <summary>How far the signed timestamp may be from now. A verifying service remembers request ids for twice this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AllowedClockSkew { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for Redis when a service checks a request id for replay; past it the local memory alone decides.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan ReplayCheckTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Request ids each service process remembers locally (besides Redis), bounding its memory.</summary>
    [Range(1000, 10_000_000)]
    public int ReplayMemoryEntries { get; set; } = 200_000;
}
