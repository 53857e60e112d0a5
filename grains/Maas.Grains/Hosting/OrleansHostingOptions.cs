using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Maas.Grains.Hosting;

/// <summary>
/// Silo networking (configuration section "Maas:Orleans"). Unset ports and primary endpoint take the role's
/// <see cref="SiloDefaults"/>; the result is validated before the silo is built.
/// </summary>
public sealed class OrleansHostingOptions : IValidatableObject
{
    public const string SectionName = "Maas:Orleans";

    public OrleansClustering Clustering { get; set; } = OrleansClustering.Localhost;

    /// <summary>Silo-to-silo port; 0 takes the role's default.</summary>
    [Range(0, 65535)]
    public int SiloPort { get; set; }

    /// <summary>Client gateway port; 0 takes the role's default.</summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; }

    /// <summary>"host:port" of the primary silo's silo-to-silo endpoint (localhost clustering); null takes the role's default.</summary>
    public string? PrimarySiloEndpoint { get; set; }

    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "maas";

    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "maas";

    /// <summary>Fills what configuration left unset from the role's defaults.</summary>
    public OrleansHostingOptions WithDefaults(SiloDefaults defaults)
    {
        SiloPort = SiloPort == 0 ? defaults.SiloPort : SiloPort;
        GatewayPort = GatewayPort == 0 ? defaults.GatewayPort : GatewayPort;
        PrimarySiloEndpoint ??= defaults.DefaultPrimarySiloEndpoint(SiloPort);
        return this;
    }

    public IPEndPoint ParsePrimarySiloEndpoint() =>
        IPEndPoint.TryParse(PrimarySiloEndpoint ?? "", out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new FormatException($"{SectionName}:PrimarySiloEndpoint '{PrimarySiloEndpoint}' is not an IP:port endpoint.");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SiloPort == GatewayPort)
        {
            yield return new ValidationResult($"{SectionName}:SiloPort and GatewayPort must differ (both {SiloPort}).", [nameof(SiloPort), nameof(GatewayPort)]);
        }

        if (!IPEndPoint.TryParse(PrimarySiloEndpoint ?? "", out var endpoint) || endpoint.Port == 0)
        {
            yield return new ValidationResult($"{SectionName}:PrimarySiloEndpoint '{PrimarySiloEndpoint}' is not an IP:port endpoint.", [nameof(PrimarySiloEndpoint)]);
        }
    }
}
