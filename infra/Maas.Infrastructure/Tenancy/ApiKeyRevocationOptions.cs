using System.ComponentModel.DataAnnotations;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Where key revocations are announced (configuration section "Maas:ApiKeys"). The one setting read by everything
/// that publishes (`maas key revoke`) or listens (gateways), so changing it can never split them.
/// </summary>
public sealed class ApiKeyRevocationOptions
{
    public const string SectionName = "Maas:ApiKeys";

    public const string DefaultChannel = "maas:api-keys:revoked";

    /// <summary>Redis pub/sub channel carrying revoked key ids ("D" format Guids).</summary>
    [Required(AllowEmptyStrings = false)]
    public string RevocationChannel { get; set; } = DefaultChannel;
}
