using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.Options;

namespace Maas.Plant.Http;

/// <summary>
/// HTTPS reaches the plant service only through the gateway (route /plant): /plant/v1 requests must carry its signed
/// identity headers (<see cref="GatewaySignature"/>, the api's check), else 401. The tenant comes only from them.
/// </summary>
public sealed partial class PlantGatewayAuthentication(
    RequestDelegate next,
    IOptions<GatewaySignatureOptions> options,
    TimeProvider time,
    ILogger<PlantGatewayAuthentication> logger)
{
    private readonly GatewaySignature _signature = new(options.Value.SigningSecret);
    private readonly TimeSpan _skew = options.Value.AllowedClockSkew;

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/plant/v1"))
        {
            return next(context);
        }

        var headers = context.Request.Headers;
        var tenant = headers[GatewayHeaders.TenantId].ToString();
        var key = headers[GatewayHeaders.KeyId].ToString();
        var requestId = headers[GatewayHeaders.RequestId].ToString();
        var timestamp = headers[GatewayHeaders.Timestamp].ToString();
        var signature = headers[GatewayHeaders.Signature].ToString();
        if (tenant.Length == 0 || !_signature.Verify(tenant, key, requestId, timestamp, signature, time.GetUtcNow(), _skew))
        {
            LogRejected(logger, context.Request.Path);
            return ApiError.InvalidGatewaySignature().WriteAsync(context);
        }

        context.Features.Set(new PlantCaller(tenant, key));
        return next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Path}: gateway headers missing or not verifying")]
    private static partial void LogRejected(ILogger logger, PathString path);
}
