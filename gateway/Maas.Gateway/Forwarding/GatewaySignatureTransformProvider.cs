using System.Globalization;
using Maas.Gateway.Authentication;
using Maas.Infrastructure.Tenancy;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Maas.Gateway.Forwarding;

/// <summary>
/// Adds the signed identity headers to every proxied request of an authenticated caller and drops its Authorization
/// header. The signature (<see cref="GatewaySignature"/>) covers the audience (the route's "Maas.Audience" metadata,
/// else its cluster id: api, portal, plant), the method, the path and query as forwarded, the body's SHA-256
/// (<see cref="ForwardedBody"/>), tenant, key id, request id and time. Client-sent X-Maas-* headers were already stripped.
/// </summary>
public sealed class GatewaySignatureTransformProvider(GatewaySignature signature, TimeProvider time) : ITransformProvider
{
    public const string AudienceMetadataKey = "Maas.Audience";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var audience = context.Route.Metadata?.GetValueOrDefault(AudienceMetadataKey) ?? context.Route.ClusterId ?? "";
        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<ApiKeyIdentity>() is not { } identity)
            {
                return ValueTask.CompletedTask;
            }

            var body = transform.HttpContext.Features.Get<ForwardedBody>()
                ?? throw new InvalidOperationException("The request body was not hashed before forwarding (RequestBodyLimitMiddleware must run first).");
            var keyId = identity.KeyId.ToString("D");
            var requestId = transform.HttpContext.TraceIdentifier;
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            var signed = new GatewaySignedRequest(
                audience,
                transform.ProxyRequest.Method.Method,
                transform.Path.Value + transform.Query.QueryString.Value,
                body.Sha256,
                identity.TenantId,
                keyId,
                requestId,
                timestamp);
            var headers = transform.ProxyRequest.Headers;

            // Upstream trusts the signed headers; the client's secret has no business travelling further.
            headers.Authorization = null;
            Set(headers, GatewayHeaders.TenantId, identity.TenantId);
            Set(headers, GatewayHeaders.KeyId, keyId);
            Set(headers, GatewayHeaders.RequestId, requestId);
            Set(headers, GatewayHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
            Set(headers, GatewayHeaders.Audience, audience);
            Set(headers, GatewayHeaders.BodySha256, body.Sha256);
            Set(headers, GatewayHeaders.Signature, signature.Sign(signed));
            return ValueTask.CompletedTask;
        });
    }

    private static void Set(System.Net.Http.Headers.HttpRequestHeaders headers, string name, string value)
    {
        headers.Remove(name);
        headers.TryAddWithoutValidation(name, value);
    }
}
