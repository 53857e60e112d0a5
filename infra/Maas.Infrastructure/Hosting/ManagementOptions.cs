using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Hosting;

/// <summary>
/// The management listener (configuration section "Maas:Management"): /metrics and the detailed /health/ready are
/// served only here, never on the port tenants or the gateway reach. Loopback by default; a deployment that lets
/// Prometheus or a kubelet scrape it binds it wider (the Helm chart does, and admits only Prometheus to it).
/// </summary>
public sealed class ManagementOptions : IValidatableObject
{
    public const string SectionName = "Maas:Management";

    /// <summary>One http URL with an explicit port, e.g. "http://127.0.0.1:9100"; each process has its own default.</summary>
    [Required]
    public string Url { get; set; } = "";

    /// <summary>The port of <see cref="Url"/>: requests arriving on it are management requests.</summary>
    public int Port => Uri.TryCreate(Url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Port : 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || Port <= 0 || Url.Contains(';', StringComparison.Ordinal))
        {
            yield return new ValidationResult($"Maas:Management:Url must be one http URL with an explicit, non-zero port (got '{Url}').", [nameof(Url)]);
        }
    }
}
