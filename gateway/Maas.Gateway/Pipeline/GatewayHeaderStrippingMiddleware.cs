using Maas.Infrastructure.Tenancy;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Drops every client-sent header under the X-Maas- prefix before anything reads it: those
/// headers carry the authenticated identity upstream and only the gateway may set them.
/// </summary>
public sealed class GatewayHeaderStrippingMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        List<string>? forged = null;
        foreach (var name in headers.Keys)
        {
            if (name.StartsWith(GatewayHeaders.Prefix, StringComparison.OrdinalIgnoreCase))
            {
                (forged ??= []).Add(name);
            }
        }

        if (forged is not null)
        {
            foreach (var name in forged)
            {
                headers.Remove(name);
            }
        }

        return next(context);
    }
}
