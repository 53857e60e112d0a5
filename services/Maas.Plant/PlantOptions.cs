using System.ComponentModel.DataAnnotations;

namespace Maas.Plant;

/// <summary>The plant service's settings under "Maas:Plant" (env Maas__Plant__*), validated at start-up.</summary>
public sealed class PlantOptions : IValidatableObject
{
    public const string SectionName = "Maas:Plant";

    /// <summary>Plain MQTT port; 0 turns the plain endpoint off (TLS only).</summary>
    [Range(0, 65535)]
    public int MqttPort { get; set; } = 1883;

    /// <summary>Address the MQTT endpoints listen on.</summary>
    [Required]
    public string MqttBindAddress { get; set; } = "127.0.0.1";

    /// <summary>MQTT over TLS port, used when <see cref="TlsCertificatePath"/> is set.</summary>
    [Range(1, 65535)]
    public int MqttTlsPort { get; set; } = 8883;

    /// <summary>PKCS#12 (.pfx) certificate with its private key for MQTT over TLS; null: no TLS endpoint.</summary>
    public string? TlsCertificatePath { get; set; }

    public string? TlsCertificatePassword { get; set; }

    /// <summary>How long responses (and owed deliveries) are kept for plants that come back late.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan ResponseRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often connected keys are checked again in PostgreSQL (revocation notices over Redis act at once).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Generations running at once; more requests wait in order.</summary>
    [Range(1, 4096)]
    public int MaxConcurrentGenerations { get; set; } = 64;

    /// <summary>Largest MQTT request payload accepted.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Tenants whose Sparkplug B messages are kept as request context (opt-in per tenant).</summary>
    public string[] SparkplugTenants { get; set; } = [];

    /// <summary>The api silo's Orleans client gateway port (localhost clustering).</summary>
    [Range(1, 65535)]
    public int OrleansGatewayPort { get; set; } = 30000;

    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "maas";

    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "maas";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!System.Net.IPAddress.TryParse(MqttBindAddress, out _))
        {
            yield return new ValidationResult($"{SectionName}:MqttBindAddress '{MqttBindAddress}' is not an IP address.", [nameof(MqttBindAddress)]);
        }

        if (TlsCertificatePath is { } path && !File.Exists(path))
        {
            yield return new ValidationResult($"{SectionName}:TlsCertificatePath '{path}' does not exist.", [nameof(TlsCertificatePath)]);
        }

        if (MqttPort == 0 && TlsCertificatePath is null)
        {
            yield return new ValidationResult($"{SectionName}: MqttPort 0 needs a TlsCertificatePath, or no MQTT endpoint listens.", [nameof(MqttPort)]);
        }
    }
}
