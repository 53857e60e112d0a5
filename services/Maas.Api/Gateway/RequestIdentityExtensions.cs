using Maas.Generation.Pipeline;

namespace Maas.Api.Gateway;

public static class RequestIdentityExtensions
{
    /// <summary>The verified identity; only present on /v1 requests that passed <see cref="GatewayAuthenticationMiddleware"/>.</summary>
    public static RequestIdentity GetRequestIdentity(this HttpContext context) =>
        context.Features.Get<RequestIdentity>() ?? throw new InvalidOperationException("The request has no verified gateway identity.");
}
