using Maas.Gateway.Observability;
using Yarp.ReverseProxy.Model;

namespace Maas.Gateway.Pipeline;

/// <summary>Counts every request by route (YARP route id, or the local endpoint) and final status.</summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        finally
        {
            GatewayMetrics.Requests.WithLabels(RouteLabel(context), StatusLabel(context)).Inc();
        }
    }

    private static string RouteLabel(HttpContext context)
    {
        if (context.Features.Get<IReverseProxyFeature>() is { } proxy)
        {
            return proxy.Route.Config.RouteId;
        }

        return context.GetEndpoint() is RouteEndpoint endpoint ? endpoint.RoutePattern.RawText ?? "local" : "unmatched";
    }

    private static string StatusLabel(HttpContext context)
    {
        return context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
            ? "aborted"
            : context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
