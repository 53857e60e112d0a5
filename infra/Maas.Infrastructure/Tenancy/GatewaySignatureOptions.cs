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

    /// <summary>How far the signed timestamp may be from now.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AllowedClockSkew { get; set; } = TimeSpan.FromSeconds(60);
}
