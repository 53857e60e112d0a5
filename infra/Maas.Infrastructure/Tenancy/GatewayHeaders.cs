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

    /// <summary>The service the request is for ("api", "portal", "plant"); signed.</summary>
    public const string Audience = "X-Maas-Audience";

    /// <summary>Lower-case hex SHA-256 of the forwarded body; signed, and checked by the service against what it received.</summary>
    public const string BodySha256 = "X-Maas-Body-Sha256";
    public const string Signature = "X-Maas-Signature";
}
