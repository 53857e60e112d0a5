using Maas.Generation.Pipeline;
using Maas.Infrastructure.Tenancy;

namespace Maas.Api.Gateway;

/// <summary>
/// Refuses /v1 requests the gateway did not sign for this service ("api" audience), exactly as received (401), with
/// the check every service behind the gateway shares (<see cref="GatewayRequestCheck"/>). Tenant and key ids come only
/// from these signed headers, never from the body or other headers.
/// </summary>
public sealed class GatewayAuthenticationMiddleware(RequestDelegate next, GatewayRequestCheck check)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context);
            return;
        }

        if (await check.CheckAsync(context, GatewayAudiences.Api) is not { } caller)
        {
            return;
        }

        context.Features.Set(new RequestIdentity(caller.TenantId, caller.KeyId, caller.RequestId));
        await next(context);
    }
}
