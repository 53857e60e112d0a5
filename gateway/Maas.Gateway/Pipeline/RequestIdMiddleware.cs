using System.Security.Cryptography;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Gives every request an id ("req_" + 24 hex), kept as <see cref="HttpContext.TraceIdentifier"/>
/// so logs carry it, and stamps it on every response as x-request-id, errors included.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string ResponseHeader = "x-request-id";

    public Task InvokeAsync(HttpContext context)
    {
        var requestId = "req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        context.TraceIdentifier = requestId;
        // Set at start so the proxied upstream's own header, if any, cannot replace ours.
        context.Response.OnStarting(static state =>
        {
            var ctx = (HttpContext)state;
            ctx.Response.Headers[ResponseHeader] = ctx.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
