using System.Net.Http.Headers;
using System.Text;
using Maas.Infrastructure.Tenancy;

namespace Maas.Testing;

/// <summary>
/// Builds requests carrying the headers the gateway would add, signed with a test secret as the gateway signs them
/// (<see cref="GatewaySignature"/>: audience, method, path and query, body hash, tenant, key, request id, time), for
/// tests that talk to a service directly.
/// </summary>
public sealed class SignedRequests(string secret, string audience = GatewayAudiences.Api)
{
    private readonly GatewaySignature _signature = new(secret);

    public HttpRequestMessage Create(HttpMethod method, string path, string tenant, string? json = null, string? requestId = null, DateTimeOffset? signedAt = null, string keyId = "key-1") =>
        CreateWithBody(method, path, tenant, json is null ? null : Encoding.UTF8.GetBytes(json), requestId, signedAt, keyId);

    /// <summary>A request whose body is exactly these bytes (which need not be valid UTF-8), signed over them.</summary>
    public HttpRequestMessage CreateWithBody(HttpMethod method, string path, string tenant, byte[]? body, string? requestId = null, DateTimeOffset? signedAt = null, string keyId = "key-1")
    {
        requestId ??= "req-" + Guid.NewGuid().ToString("N");
        var timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var bodyHash = GatewaySignature.HashBody(body ?? []);
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(GatewayHeaders.TenantId, tenant);
        request.Headers.Add(GatewayHeaders.KeyId, keyId);
        request.Headers.Add(GatewayHeaders.RequestId, requestId);
        request.Headers.Add(GatewayHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(GatewayHeaders.Audience, audience);
        request.Headers.Add(GatewayHeaders.BodySha256, bodyHash);
        request.Headers.Add(GatewayHeaders.Signature, _signature.Sign(new GatewaySignedRequest(audience, method.Method, path, bodyHash, tenant, keyId, requestId, timestamp)));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    /// <summary>A copy of <paramref name="original"/> with the same headers (signature included) and the given body.</summary>
    public static HttpRequestMessage Resend(HttpRequestMessage original, byte[]? body)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri);
        foreach (var (name, values) in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }

        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            copy.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return copy;
    }

    public HttpRequestMessage Post(string path, string tenant, string json, string? requestId = null) =>
        Create(HttpMethod.Post, path, tenant, json, requestId);

    /// <summary>A POST whose body is exactly these bytes (which need not be valid UTF-8).</summary>
    public HttpRequestMessage PostBytes(string path, string tenant, byte[] body) =>
        CreateWithBody(HttpMethod.Post, path, tenant, body);

    public HttpRequestMessage Get(string path, string tenant, string? requestId = null) =>
        Create(HttpMethod.Get, path, tenant, requestId: requestId);
}
