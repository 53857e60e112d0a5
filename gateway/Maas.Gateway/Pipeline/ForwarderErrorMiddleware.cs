using Maas.Infrastructure.OpenAi;
using Yarp.ReverseProxy.Forwarder;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// YARP answers its own failures (no healthy destination, upstream unreachable, timeout) with an
/// empty body; give the client the OpenAI error shape instead while the response is still ours.
/// </summary>
public sealed class ForwarderErrorMiddleware(RequestDelegate next, ILogger<ForwarderErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        if (context.Response.HasStarted)
        {
            return;
        }

        var error = context.Features.Get<IForwarderErrorFeature>();
        var status = context.Response.StatusCode;
        var emptyLocal503 = status == StatusCodes.Status503ServiceUnavailable
            && context.Response.ContentLength is null
            && string.IsNullOrEmpty(context.Response.ContentType);
        if (error is null && !emptyLocal503)
        {
            return;
        }

        if (error is not null)
        {
            logger.LogWarning(error.Exception, "Forwarding failed: {ForwarderError}", error.Error);
        }

        var (message, code) = status switch
        {
            StatusCodes.Status504GatewayTimeout => ("The upstream service timed out.", "upstream_timeout"),
            StatusCodes.Status503ServiceUnavailable => ("No upstream service is available. Please retry shortly.", "service_unavailable"),
            StatusCodes.Status400BadRequest => ("The request could not be read.", "invalid_request"),
            _ => ("The upstream service could not be reached.", "upstream_unavailable"),
        };
        var type = status < 500 ? "invalid_request_error" : "server_error";
        await ApiError.Of(status, message, type, code).WriteAsync(context);
    }
}
