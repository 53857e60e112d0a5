using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Maas.Grains.Hosting;

/// <summary>Silo networking (configuration section "Maas:Orleans"). Each service sets its own default ports.</summary>
public sealed class OrleansHostingOptions
{
    public const string SectionName = "Maas:Orleans";

    public OrleansClustering Clustering { get; set; } = OrleansClustering.Localhost;

    [Range(1, 65535)]
    public int SiloPort { get; set; }

    [Range(1, 65535)]
    public int GatewayPort { get; set; }

    /// <summary>"host:port" of the primary silo's silo-to-silo endpoint (localhost clustering).</summary>
    [Required]
    public string PrimarySiloEndpoint { get; set; } = "127.0.0.1:11111";

    [Required]
    public string ClusterId { get; set; } = "maas";

    [Required]
    public string ServiceId { get; set; } = "maas";

    public IPEndPoint ParsePrimarySiloEndpoint() =>
        IPEndPoint.TryParse(PrimarySiloEndpoint, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new FormatException($"Maas:Orleans:PrimarySiloEndpoint '{PrimarySiloEndpoint}' is not an IP:port endpoint.");
}
