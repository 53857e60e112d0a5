using System.ComponentModel.DataAnnotations;

namespace Maas.Portal;

/// <summary>Settings of the billing portal (section "Maas:Portal"), validated at start-up.</summary>
public sealed class PortalOptions : IValidatableObject
{
    public const string SectionName = "Maas:Portal";

    /// <summary>The path the gateway routes to the portal (its YARP route "/portal/{**catch-all}"); every page lives under it.</summary>
    [Required]
    [RegularExpression("^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$", ErrorMessage = "Maas:Portal:PathBase must start with '/' and not end with one, e.g. /portal.")]
    public string PathBase { get; set; } = "/portal";

    /// <summary>Failed sign-ins in a row that lock an administrator out.</summary>
    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a sign-in lasts without activity (sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Where cookie-encryption keys are kept; set it to a shared folder when several portal replicas serve one site.</summary>
    public string? DataProtectionKeysDirectory { get; set; }

    /// <summary>Sign-in through the company's identity provider; off unless its Authority is set.</summary>
    public PortalOidcOptions Oidc { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LockoutDuration <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Maas:Portal:LockoutDuration must be positive.", [nameof(LockoutDuration)]);
        }

        if (SessionLifetime <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Maas:Portal:SessionLifetime must be positive.", [nameof(SessionLifetime)]);
        }

        if (Oidc.Enabled)
        {
            if (!Uri.TryCreate(Oidc.Authority, UriKind.Absolute, out _))
            {
                yield return new ValidationResult("Maas:Portal:Oidc:Authority must be an absolute URL.", ["Oidc.Authority"]);
            }

            if (string.IsNullOrWhiteSpace(Oidc.ClientId))
            {
                yield return new ValidationResult("Maas:Portal:Oidc:ClientId is required when Maas:Portal:Oidc:Authority is set.", ["Oidc.ClientId"]);
            }

            if (string.IsNullOrWhiteSpace(Oidc.RequiredClaimType) != string.IsNullOrWhiteSpace(Oidc.RequiredClaimValue))
            {
                yield return new ValidationResult("Maas:Portal:Oidc:RequiredClaimType and RequiredClaimValue go together.", ["Oidc.RequiredClaimType"]);
            }
        }
    }
}
