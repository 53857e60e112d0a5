namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Everything the gateway vouches for when it forwards a request: which service it is for (the audience), what it
/// asks (method, path and query, the SHA-256 of the body), on whose behalf (tenant, key) and when. The HMAC covers
/// all of it, so a signed header set cannot be moved to another service, another URL or another body.
/// </summary>
/// <param name="Audience">The service the request is for: "api", "portal" or "plant" (<see cref="GatewayAudiences"/>).</param>
/// <param name="Method">The HTTP method, upper case.</param>
/// <param name="PathAndQuery">Path and query string as the service receives them, e.g. "/v1/chat/completions" or "/v1/models?x=1".</param>
/// <param name="BodySha256">Lower-case hex SHA-256 of the body bytes (of no bytes when there is no body).</param>
public sealed record GatewaySignedRequest(
    string Audience,
    string Method,
    string PathAndQuery,
    string BodySha256,
    string TenantId,
    string KeyId,
    string RequestId,
    long UnixSeconds);
