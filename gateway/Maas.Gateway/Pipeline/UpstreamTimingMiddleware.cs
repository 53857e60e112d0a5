using System.Diagnostics;
using Maas.Gateway.Observability;
using Yarp.ReverseProxy.Model;

namespace Maas.Gateway.Pipeline;

/// <summary>Observes how long the forwarding itself takes (innermost step before YARP's own).</summary>
public sealed class UpstreamTimingMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = context.Features.Get<IReverseProxyFeature>()?.Route.Config.RouteId ?? "unknown";
            GatewayMetrics.UpstreamDuration.WithLabels(route).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
