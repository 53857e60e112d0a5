using System.Net.Http.Headers;
using System.Text;
using Maas.Infrastructure.Tenancy;

namespace Maas.Api.Tests.Support;

/// <summary>Builds requests carrying the headers the gateway would add, signed with the test secret.</summary>
public sealed class SignedRequests(string secret)
{
    private readonly GatewaySignature _signature = new(secret);

    public HttpRequestMessage Create(HttpMethod method, string path, string tenant, string? json = null, string? requestId = null, DateTimeOffset? signedAt = null, string keyId = "key-1")
    {
        requestId ??= "req-" + Guid.NewGuid().ToString("N");
        var timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add(GatewayHeaders.TenantId, tenant);
        request.Headers.Add(GatewayHeaders.KeyId, keyId);
        request.Headers.Add(GatewayHeaders.RequestId, requestId);
        request.Headers.Add(GatewayHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(GatewayHeaders.Signature, _signature.Sign(tenant, keyId, requestId, timestamp));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    public HttpRequestMessage Post(string path, string tenant, string json, string? requestId = null) =>
        Create(HttpMethod.Post, path, tenant, json, requestId);

    /// <summary>A POST whose body is exactly these bytes (which need not be valid UTF-8).</summary>
    public HttpRequestMessage PostBytes(string path, string tenant, byte[] body)
    {
        var request = Create(HttpMethod.Post, path, tenant);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    public HttpRequestMessage Get(string path, string tenant, string? requestId = null) =>
        Create(HttpMethod.Get, path, tenant, requestId: requestId);
}
