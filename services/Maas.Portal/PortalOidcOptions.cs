namespace Maas.Portal;

/// <summary>
/// OpenID Connect sign-in (section "Maas:Portal:Oidc"), for companies with an identity provider: authorization code
/// flow with PKCE. Anyone the provider signs in is an administrator unless <see cref="RequiredClaimType"/> and
/// <see cref="RequiredClaimValue"/> name a claim (e.g. groups = maas-admins) the ID token must carry.
/// </summary>
public sealed class PortalOidcOptions
{
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The button's text: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "your identity provider";

    public string? RequiredClaimType { get; set; }

    public string? RequiredClaimValue { get; set; }

    /// <summary>Refuse an Authority over plain HTTP (leave true outside tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
