namespace Maas.Api.Gateway;

public static class GatewayIdentityExtensions
{
    /// <summary>The verified identity; only present on /v1 requests that passed <see cref="GatewayAuthenticationMiddleware"/>.</summary>
    public static GatewayIdentity GetGatewayIdentity(this HttpContext context) =>
        context.Features.Get<GatewayIdentity>() ?? throw new InvalidOperationException("The request has no verified gateway identity.");
}
