using System.Security.Cryptography;
using Maas.Infrastructure.OpenAi;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Checks that the gateway signed a request for this service exactly as received, for every service behind the gateway
/// (api, plant): the signature covers the audience, method, path and query, a SHA-256 of the body, tenant, key, request
/// id and time. Headers are checked first (cheap), then the body is read (bounded by Kestrel's body limit) and hashed,
/// then the request id is claimed once (<see cref="GatewayReplayGuard"/>). On failure the OpenAI-shaped error is written.
/// </summary>
public sealed partial class GatewayRequestCheck(
    IOptions<GatewaySignatureOptions> options,
    GatewayReplayGuard replays,
    TimeProvider time,
    ILogger<GatewayRequestCheck> logger)
{
    private readonly GatewaySignature _signature = new(options.Value.SigningSecret);
    private readonly TimeSpan _skew = options.Value.AllowedClockSkew;

    /// <summary>The verified caller, or null once a 401/413/400 has been written to the response.</summary>
    public async Task<GatewayCaller?> CheckAsync(HttpContext context, string audience)
    {
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
            audience, request.Method, request.PathBase.Value + request.Path.Value + request.QueryString.Value, bodyHash, tenant, key, requestId, timestamp);
        if (!present || !_signature.Verify(signed, signature, time.GetUtcNow(), _skew))
        {
            LogRejected(logger, request.Path, present ? "signature" : "missing headers");
            await ApiError.InvalidGatewaySignature().WriteAsync(context);
            return null;
        }

        string receivedHash;
        try
        {
            receivedHash = await BufferAndHashBodyAsync(context);
        }
        catch (BadHttpRequestException ex)
        {
            await (ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiError.PayloadTooLarge() : ApiError.UnreadableBody(ex.StatusCode)).WriteAsync(context);
            return null;
        }

        if (!string.Equals(receivedHash, bodyHash, StringComparison.Ordinal))
        {
            LogRejected(logger, request.Path, "body hash");
            await ApiError.InvalidGatewaySignature().WriteAsync(context);
            return null;
        }

        if (!await replays.TryClaimAsync(audience, requestId, context.RequestAborted))
        {
            LogReplayed(logger, request.Path, requestId, tenant);
            await ApiError.ReplayedRequest().WriteAsync(context);
            return null;
        }

        return new GatewayCaller(tenant, key, requestId);
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
