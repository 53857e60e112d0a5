using System.Security.Cryptography;
using Maas.Generation.Pipeline;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.Options;

namespace Maas.Api.Gateway;

/// <summary>
/// Refuses /v1 requests the gateway did not sign for this service, exactly as received (401). The signature covers
/// the audience ("api"), method, path and query, a SHA-256 of the body, tenant, key, request id and time; headers are
/// checked first (cheap), then the body is read (bounded by the body limit) and hashed, then the request id is claimed
/// once (<see cref="GatewayReplayGuard"/>). Tenant and key ids come only from these signed headers, never from the body
/// or other headers.
/// </summary>
public sealed partial class GatewayAuthenticationMiddleware(
    RequestDelegate next,
    IOptions<GatewaySignatureOptions> options,
    GatewayReplayGuard replays,
    TimeProvider time,
    ILogger<GatewayAuthenticationMiddleware> logger)
{
    private readonly GatewaySignature _signature = new(options.Value.SigningSecret);
    private readonly TimeSpan _skew = options.Value.AllowedClockSkew;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context);
            return;
        }

        var request = context.Request;
        var headers = request.Headers;
        var tenant = headers[GatewayHeaders.TenantId].ToString();
        var key = headers[GatewayHeaders.KeyId].ToString();
        var requestId = headers[GatewayHeaders.RequestId].ToString();
        var bodyHash = headers[GatewayHeaders.BodySha256].ToString();
        var signature = headers[GatewayHeaders.Signature].ToString();
        var hasTimestamp = GatewaySignature.TryParseTimestamp(headers[GatewayHeaders.Timestamp].ToString(), out var timestamp);
        var present = tenant.Length > 0 && key.Length > 0 && requestId.Length > 0 && bodyHash.Length == 64 && signature.Length > 0 && hasTimestamp;
        var signed = new GatewaySignedRequest(
            GatewayAudiences.Api, request.Method, request.PathBase.Value + request.Path.Value + request.QueryString.Value, bodyHash, tenant, key, requestId, timestamp);
        if (!present || !_signature.Verify(signed, signature, time.GetUtcNow(), _skew))
        {
            LogRejected(logger, request.Path, present ? "signature" : "missing headers");
            await ApiError.InvalidGatewaySignature().WriteAsync(context);
            return;
        }

        string receivedHash;
        try
        {
            receivedHash = await BufferAndHashBodyAsync(context);
        }
        catch (BadHttpRequestException ex)
        {
            await (ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiError.PayloadTooLarge() : ApiError.UnreadableBody(ex.StatusCode)).WriteAsync(context);
            return;
        }

        if (!string.Equals(receivedHash, bodyHash, StringComparison.Ordinal))
        {
            LogRejected(logger, request.Path, "body hash");
            await ApiError.InvalidGatewaySignature().WriteAsync(context);
            return;
        }

        if (!await replays.TryClaimAsync(GatewayAudiences.Api, requestId, context.RequestAborted))
        {
            LogReplayed(logger, request.Path, requestId, tenant);
            await ApiError.ReplayedRequest().WriteAsync(context);
            return;
        }

        context.Features.Set(new RequestIdentity(tenant, key, requestId));
        await next(context);
    }

    /// <summary>Reads the whole body (Kestrel's size limit applies) into memory, hashing it, and puts it back for the endpoint.</summary>
    private static async Task<string> BufferAndHashBodyAsync(HttpContext context)
    {
        var request = context.Request;
        var buffer = new MemoryStream(request.ContentLength is > 0 and < int.MaxValue ? (int)request.ContentLength.Value : 0);
        context.Response.RegisterForDispose(buffer);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            sha.AppendData(chunk, 0, read);
            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        request.Body = buffer;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Path}: gateway headers do not verify ({Reason})")]
    private static partial void LogRejected(ILogger logger, PathString path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Path}: request id {RequestId} of tenant {TenantId} was already used (replay)")]
    private static partial void LogReplayed(ILogger logger, PathString path, string requestId, string tenantId);
}
