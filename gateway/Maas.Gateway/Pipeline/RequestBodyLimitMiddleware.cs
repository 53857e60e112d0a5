using Maas.Infrastructure.OpenAi;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Refuses bodies over Maas:Gateway:MaxRequestBodyBytes with 413 before anything is forwarded.
/// A declared Content-Length is checked up front; a chunked body is read into memory up to the
/// limit (API bodies are JSON the api parses whole anyway) and forwarded with a Content-Length,
/// so an oversized one is caught here rather than half-way through the upstream call.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly long _limit = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Our limit replaces Kestrel's default (30 MB), which would otherwise cap a larger setting.
            sizeFeature.MaxRequestBodySize = null;
        }

        if (request.ContentLength is { } declared)
        {
            if (declared > _limit)
            {
                await RejectAsync(context);
                return;
            }

            await next(context);
            return;
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            await next(context);
            return;
        }

        var buffer = new MemoryStream();
        context.Response.RegisterForDispose(buffer);
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
        await next(context);
    }

    private Task RejectAsync(HttpContext context)
    {
        // The rest of the body is not worth reading; do not keep the connection for another request.
        context.Response.Headers.Connection = "close";
        return ApiError.Of(StatusCodes.Status413RequestEntityTooLarge, $"Request body too large: the limit is {_limit} bytes.", "invalid_request_error", "request_too_large").WriteAsync(context);
    }
}
