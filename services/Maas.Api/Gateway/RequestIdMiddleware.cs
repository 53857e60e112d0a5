using Maas.Infrastructure.Tenancy;

namespace Maas.Api.Gateway;

/// <summary>
/// Gives every request an id: the gateway's (X-Maas-Request-Id) when it looks like one, otherwise a new one.
/// It becomes <see cref="HttpContext.TraceIdentifier"/> and is returned as x-request-id on every response.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string ResponseHeader = "x-request-id";
    private const int MaxLength = 128;

    public Task InvokeAsync(HttpContext context)
    {
        var requestId = context.Request.Headers[GatewayHeaders.RequestId].ToString();
        if (!IsWellFormed(requestId))
        {
            requestId = Guid.NewGuid().ToString("N");
        }

        context.TraceIdentifier = requestId;
        context.Response.Headers[ResponseHeader] = requestId;
        return next(context);
    }

    private static bool IsWellFormed(string id) =>
        id.Length is > 0 and <= MaxLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
