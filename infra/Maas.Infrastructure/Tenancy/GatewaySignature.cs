using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// HMAC-SHA256 over a <see cref="GatewaySignedRequest"/> (audience, method, path and query, body hash, tenant, key id,
/// request id, unix time), shared by the gateway (which signs) and the services (which verify). Timestamps outside
/// the allowed skew are refused; services also refuse a request id they have already seen within that window
/// (<see cref="GatewayReplayGuard"/>), so a captured header set can be used neither later nor again.
/// </summary>
public sealed class GatewaySignature
{
    /// <summary>Prefix of the signed payload: a later change of what is signed gets a new version, never a silent mismatch.</summary>
    private const string Version = "maas-gateway-v2";

    private readonly byte[] _secret;

    public GatewaySignature(string secret)
    {
        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new ArgumentException("The gateway signing secret must be at least 16 characters.", nameof(secret));
        }

        _secret = Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>Lower-case hex SHA-256 of a body, as <see cref="GatewaySignedRequest.BodySha256"/> holds it.</summary>
    public static string HashBody(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    public string Sign(GatewaySignedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Newline-separated: no field of a valid request contains one (headers cannot, paths are URL-encoded).
        var payload = Encoding.UTF8.GetBytes(string.Join('\n',
            Version,
            request.Audience,
            request.Method,
            request.PathAndQuery,
            request.BodySha256,
            request.TenantId,
            request.KeyId,
            request.RequestId,
            request.UnixSeconds.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(HMACSHA256.HashData(_secret, payload));
    }

    /// <summary>Whether <paramref name="signature"/> signs <paramref name="request"/> and its time is within <paramref name="maxSkew"/> of <paramref name="now"/>.</summary>
    public bool Verify(GatewaySignedRequest request, string signature, DateTimeOffset now, TimeSpan maxSkew)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Math.Abs(now.ToUnixTimeSeconds() - request.UnixSeconds) > maxSkew.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(request));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>Parses the X-Maas-Timestamp header (unix seconds, digits only).</summary>
    public static bool TryParseTimestamp(string value, out long unixSeconds) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out unixSeconds);
}
