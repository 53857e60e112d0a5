using System.Security.Cryptography;
using Maas.Gateway.Forwarding;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Refuses bodies over Maas:Gateway:MaxRequestBodyBytes with 413 before anything is forwarded, and hashes the body
/// for the signature (<see cref="ForwardedBody"/>): the signed headers go out before the body, so the body is read
/// into memory first (up to the limit; API bodies are JSON the api parses whole anyway) and forwarded with a
/// Content-Length. A declared Content-Length over the limit is refused without reading anything; a chunked body
/// over it as soon as the limit is passed. It runs after authentication, so unauthenticated callers cannot make
/// the gateway buffer anything.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private static readonly string EmptyBodySha256 = GatewaySignature.HashBody([]);

    private readonly long _limit = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Our limit replaces Kestrel's default (30 MB), which would otherwise cap a larger setting.
            sizeFeature.MaxRequestBodySize = null;
        }

        if (request.ContentLength > _limit)
        {
            await RejectAsync(context);
            return;
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            context.Features.Set(new ForwardedBody(EmptyBodySha256));
            await next(context);
            return;
        }

        var buffer = new MemoryStream(request.ContentLength is > 0 and var length ? (int)length : 0);
        context.Response.RegisterForDispose(buffer);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > _limit)
                {
                    await RejectAsync(context);
                    return;
                }

                sha.AppendData(chunk, 0, read);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Malformed chunking or a truncated body: the client's fault, not a 500.
            await ApiError.Of(ex.StatusCode, "The request body could not be read.", "invalid_request_error", "invalid_request_body").WriteAsync(context);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        buffer.Position = 0;
        request.Body = buffer;
        request.ContentLength = buffer.Length;
        request.Headers.TransferEncoding = default;
        context.Features.Set(new ForwardedBody(Convert.ToHexStringLower(sha.GetHashAndReset())));
        await next(context);
    }

    private Task RejectAsync(HttpContext context)
    {
        // The rest of the body is not worth reading; do not keep the connection for another request.
        context.Response.Headers.Connection = "close";
        return ApiError.Of(StatusCodes.Status413RequestEntityTooLarge, $"Request body too large: the limit is {_limit} bytes.", "invalid_request_error", "request_too_large").WriteAsync(context);
    }
}
