using Maas.Generation.Pipeline;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.Options;

namespace Maas.Api.Gateway;

/// <summary>
/// Refuses /v1 requests whose gateway headers are missing or do not verify (401). Tenant and key ids come
/// only from these signed headers, never from the body or other headers.
/// </summary>
public sealed partial class GatewayAuthenticationMiddleware(
    RequestDelegate next,
    IOptions<GatewaySignatureOptions> options,
    TimeProvider time,
    ILogger<GatewayAuthenticationMiddleware> logger)
{
    private readonly GatewaySignature _signature = new(options.Value.SigningSecret);
    private readonly TimeSpan _skew = options.Value.AllowedClockSkew;

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            return next(context);
        }

        var headers = context.Request.Headers;
        var tenant = headers[GatewayHeaders.TenantId].ToString();
        var key = headers[GatewayHeaders.KeyId].ToString();
        var requestId = headers[GatewayHeaders.RequestId].ToString();
        var timestamp = headers[GatewayHeaders.Timestamp].ToString();
        var signature = headers[GatewayHeaders.Signature].ToString();
        var present = tenant.Length > 0 && key.Length > 0 && requestId.Length > 0 && timestamp.Length > 0 && signature.Length > 0;
        if (!present || !_signature.Verify(tenant, key, requestId, timestamp, signature, time.GetUtcNow(), _skew))
        {
            LogRejected(logger, context.Request.Path, present);
            return ApiError.InvalidGatewaySignature().WriteAsync(context);
        }

        context.Features.Set(new RequestIdentity(tenant, key, requestId));
        return next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Path}: gateway headers missing or not verifying (all present: {Present})")]
    private static partial void LogRejected(ILogger logger, PathString path, bool present);
}
