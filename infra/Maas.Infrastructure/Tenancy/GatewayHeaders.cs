namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Headers the gateway adds after authenticating a key. Anything a client sends under the
/// X-Maas- prefix is stripped at the edge; the api trusts these only with a valid signature.
/// </summary>
public static class GatewayHeaders
{
    public const string Prefix = "X-Maas-";
    public const string TenantId = "X-Maas-Tenant";
    public const string KeyId = "X-Maas-Key";
    public const string RequestId = "X-Maas-Request-Id";
    public const string Timestamp = "X-Maas-Timestamp";
    public const string Signature = "X-Maas-Signature";
}
