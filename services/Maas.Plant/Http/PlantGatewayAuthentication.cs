using Maas.Infrastructure.Tenancy;

namespace Maas.Plant.Http;

/// <summary>
/// HTTPS reaches the plant service only through the gateway (route /plant): /plant/v1 requests must carry its headers
/// signed for the "plant" audience, checked exactly as the api checks its own (<see cref="GatewayRequestCheck"/>),
/// else 401. The tenant comes only from them.
/// </summary>
public sealed class PlantGatewayAuthentication(RequestDelegate next, GatewayRequestCheck check)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/plant/v1"))
        {
            await next(context);
            return;
        }

        if (await check.CheckAsync(context, GatewayAudiences.Plant) is not { } caller)
        {
            return;
        }

        context.Features.Set(caller);
        await next(context);
    }
}
