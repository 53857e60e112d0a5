using System.Diagnostics;
using System.Text.Json;
using Maas.Api.Gateway;
using Maas.Api.Metrics;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;
using Maas.Generation.Responses;
using Maas.Infrastructure.OpenAi;
using Microsoft.AspNetCore.Http.Features;

namespace Maas.Api.Completions;

/// <summary>
/// POST /v1/chat/completions and POST /v1/completions: thin HTTP adapters over <see cref="GenerationPipeline"/> that
/// read the JSON body and write the pipeline's updates as one JSON object or as server-sent events.
/// </summary>
public static partial class CompletionEndpoints
{
    public static RouteGroupBuilder MapCompletionEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", (HttpContext context, GenerationPipeline pipeline, ApiMetrics metrics, TimeProvider time, ILoggerFactory logs) =>
            HandleAsync(context, GenerationKind.Chat, pipeline, metrics, time, logs.CreateLogger(typeof(CompletionEndpoints))));
        v1.MapPost("/completions", (HttpContext context, GenerationPipeline pipeline, ApiMetrics metrics, TimeProvider time, ILoggerFactory logs) =>
            HandleAsync(context, GenerationKind.Completion, pipeline, metrics, time, logs.CreateLogger(typeof(CompletionEndpoints))));
        return v1;
    }

    private static async Task HandleAsync(HttpContext context, GenerationKind kind, GenerationPipeline pipeline, ApiMetrics metrics, TimeProvider time, ILogger logger)
    {
        var received = Stopwatch.GetTimestamp();
        var endpoint = kind == GenerationKind.Chat ? "chat.completions" : "completions";
        using var active = metrics.TrackActive(endpoint);
        var aborted = context.RequestAborted;
        try
        {
            ValidatedGeneration request;
            using (var body = await ReadJsonAsync(context.Request, aborted))
            {
                request = GenerationPipeline.Validate(body.RootElement, kind, received);
            }

            var identity = context.GetRequestIdentity();
            var response = new OpenAiResponseBuilder(kind, identity.RequestId, time.GetUtcNow().ToUnixTimeSeconds(), request.Model, request.Sampling.Logprobs);
            await using var updates = pipeline.RunAsync(request, identity, aborted).GetAsyncEnumerator(aborted);
            if (request.Stream)
            {
                await StreamAsync(context, updates, response, request.IncludeUsage);
            }
            else
            {
                while (await updates.MoveNextAsync())
                {
                    response.Add(updates.Current);
                }

                await WriteJsonAsync(context, response.Completion());
            }
        }
        catch (ApiErrorException ex) when (!context.Response.HasStarted && !aborted.IsCancellationRequested)
        {
            await ex.Error.WriteAsync(context);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted && !aborted.IsCancellationRequested)
        {
            LogFailed(logger, ex, context.TraceIdentifier);
            await ApiError.Internal("The server failed to process the request.").WriteAsync(context);
        }
        finally
        {
            // 499: client closed the request (nginx convention), so disconnects are visible in the metrics.
            metrics.RequestFinished(endpoint, aborted.IsCancellationRequested ? 499 : context.Response.StatusCode);
        }
    }

    /// <summary>
    /// Server-sent events. Headers go out only once the pipeline produced its first update, so failures to start
    /// (no worker, refused admission) still get a proper status; later failures end the stream with an error event.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, IAsyncEnumerator<GenerationUpdate> updates, OpenAiResponseBuilder builder, bool includeUsage)
    {
        var aborted = context.RequestAborted;
        var more = await updates.MoveNextAsync();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        if (builder.StreamStart() is { } start)
        {
            await WriteEventAsync(response, start, aborted);
        }

        try
        {
            while (more)
            {
                var (content, finish) = builder.Add(updates.Current);
                if (content is not null)
                {
                    await WriteEventAsync(response, content, aborted);
                }

                if (finish is not null)
                {
                    await WriteEventAsync(response, finish, aborted);
                }

                more = await updates.MoveNextAsync();
            }
        }
        catch (ApiErrorException ex) when (!aborted.IsCancellationRequested)
        {
            await response.WriteAsync($"data: {ex.Error.ToJson()}\n\n", aborted);
            await response.Body.FlushAsync(aborted);
            return;
        }

        if (includeUsage)
        {
            await WriteEventAsync(response, builder.UsageChunk(), aborted);
        }

        await response.WriteAsync("data: [DONE]\n\n", aborted);
        await response.Body.FlushAsync(aborted);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, BodyParsing, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new ApiErrorException(ApiError.InvalidJson(ex.Message));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiErrorException(ApiError.PayloadTooLarge());
        }
        catch (BadHttpRequestException ex)
        {
            // A truncated body or malformed chunking is the client's fault, not a 500.
            throw new ApiErrorException(ApiError.UnreadableBody(ex.StatusCode));
        }
    }

    /// <summary>No OpenAI body nests deeper than a handful of levels; 32 refuses a nesting bomb early (the library default is 64).</summary>
    private static readonly JsonDocumentOptions BodyParsing = new() { MaxDepth = 32 };

    private static async Task WriteJsonAsync(HttpContext context, object body)
    {
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, body.GetType(), OpenAiJson.Options, context.RequestAborted);
    }

    private static async Task WriteEventAsync(HttpResponse response, object chunk, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, chunk.GetType(), OpenAiJson.Options) + "\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId);
}
