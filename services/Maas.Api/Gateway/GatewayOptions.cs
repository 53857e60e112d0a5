using System.ComponentModel.DataAnnotations;

namespace Maas.Api.Gateway;

/// <summary>How the api trusts the gateway (configuration section "Maas:Gateway").</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Maas:Gateway";

    /// <summary>HMAC secret shared with the gateway; required.</summary>
    [Required, MinLength(16)]
    public string SigningSecret { get; set; } = "";

    /// <summary>How far the signed timestamp may be from now.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AllowedClockSkew { get; set; } = TimeSpan.FromSeconds(60);
}
