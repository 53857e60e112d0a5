using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// HMAC-SHA256 over tenant, key id, request id and a unix timestamp, shared by the gateway
/// (which signs) and the api (which verifies). Timestamps outside the allowed skew are refused so
/// a captured header set cannot be replayed later.
/// </summary>
public sealed class GatewaySignature
{
    private readonly byte[] _secret;

    public GatewaySignature(string secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new ArgumentException("The gateway signing secret must be at least 16 characters.", nameof(secret));
        }

        _secret = Encoding.UTF8.GetBytes(secret);
    }

    public string Sign(string tenantId, string keyId, string requestId, long unixSeconds)
    {
        var payload = Encoding.UTF8.GetBytes(string.Join('\n', tenantId, keyId, requestId, unixSeconds.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(HMACSHA256.HashData(_secret, payload));
    }

    public bool Verify(string tenantId, string keyId, string requestId, string timestamp, string signature, DateTimeOffset now, TimeSpan maxSkew)
    {
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return false;
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - unixSeconds) > maxSkew.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(tenantId, keyId, requestId, unixSeconds));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
