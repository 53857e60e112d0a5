using System.Globalization;
using Maas.Gateway.Authentication;
using Maas.Infrastructure.Tenancy;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Maas.Gateway.Forwarding;

/// <summary>
/// Adds the signed identity headers (tenant, key id, request id, unix timestamp, HMAC) to every
/// proxied request of an authenticated caller and drops its Authorization header. Client-sent
/// X-Maas-* headers were already stripped.
/// </summary>
public sealed class GatewaySignatureTransformProvider(GatewaySignature signature, TimeProvider time) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<ApiKeyIdentity>() is not { } identity)
            {
                return ValueTask.CompletedTask;
            }

            var keyId = identity.KeyId.ToString("D");
            var requestId = transform.HttpContext.TraceIdentifier;
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            var headers = transform.ProxyRequest.Headers;
            // Upstream trusts the signed headers; the client's secret has no business travelling further.
            headers.Authorization = null;
            Set(headers, GatewayHeaders.TenantId, identity.TenantId);
            Set(headers, GatewayHeaders.KeyId, keyId);
            Set(headers, GatewayHeaders.RequestId, requestId);
            Set(headers, GatewayHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
            Set(headers, GatewayHeaders.Signature, signature.Sign(identity.TenantId, keyId, requestId, timestamp));
            return ValueTask.CompletedTask;
        });
    }

    private static void Set(System.Net.Http.Headers.HttpRequestHeaders headers, string name, string value)
    {
        headers.Remove(name);
        headers.TryAddWithoutValidation(name, value);
    }
}
