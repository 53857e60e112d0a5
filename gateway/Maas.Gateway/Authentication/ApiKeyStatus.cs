namespace Maas.Gateway.Authentication;

/// <summary>What PostgreSQL says about a presented secret.</summary>
public enum ApiKeyStatus
{
    Active,
    Unknown,
    Revoked,
    TenantDisabled,
}
