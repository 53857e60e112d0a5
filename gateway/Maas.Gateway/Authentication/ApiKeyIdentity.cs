namespace Maas.Gateway.Authentication;

/// <summary>Who an authenticated request belongs to; set as an HttpContext feature by the authentication step.</summary>
/// <param name="KeyId">The api_keys row id.</param>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="KeyRequestsPerMinute">The key's own limit, or null to use the tenant's.</param>
/// <param name="TenantRequestsPerMinute">The tenant's limit, shared by all its keys.</param>
public sealed record ApiKeyIdentity(Guid KeyId, string TenantId, int? KeyRequestsPerMinute, int TenantRequestsPerMinute)
{
    public int EffectiveKeyRequestsPerMinute => KeyRequestsPerMinute ?? TenantRequestsPerMinute;
}
