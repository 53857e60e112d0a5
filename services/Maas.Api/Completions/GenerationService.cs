using System.Diagnostics;
using System.Text.Json;
using Maas.Api.Completions.Wire;
using Maas.Api.Errors;
using Maas.Api.Gateway;
using Maas.Api.Json;
using Maas.Api.Metrics;
using Maas.Api.Models;
using Maas.Api.Replicas;
using Maas.Api.Usage;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Grains.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Maas.Api.Completions;

/// <summary>
/// Serves /v1/chat/completions and /v1/completions: validate → resolve the model → admit with the tenant
/// grain → chat template + tokenize → stream from a replica grain → release the slot and record usage.
/// Admission comes before tokenizing so a refused request costs no tokenizer time; it reserves with an
/// upper bound (prompt UTF-8 bytes) and the real prompt token count goes into the usage record.
/// </summary>
public sealed partial class GenerationService(
    ServedModelCatalog catalog,
    IGrainFactory grains,
    ReplicaSelector replicas,
    ApiMetrics metrics,
    IUsageSink usage,
    IOptions<TenantGrainOptions> tenancy,
    TimeProvider time,
    ILogger<GenerationService> logger)
{
    /// <summary>max_tokens when the request has none: the rest of the context, but no more than this.</summary>
    public const int DefaultMaxTokensCap = 4096;

    public async Task HandleAsync(HttpContext context, GenerationKind kind)
    {
        var started = Stopwatch.GetTimestamp();
        var endpoint = kind == GenerationKind.Chat ? "chat.completions" : "completions";
        using var active = metrics.TrackActive(endpoint);
        var aborted = context.RequestAborted;
        try
        {
            var request = await GenerationRequestValidator.ReadAsync(context.Request, kind, aborted);
            var model = catalog.Find(request.Model) ?? throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
            if (request.MaxTokens is { } requested && requested > model.ContextLength)
            {
                throw new ApiErrorException(ApiError.InvalidValue(request.MaxTokensParam,
                    $"'{request.MaxTokensParam}' is {requested}, but this model's maximum context length is {model.ContextLength} tokens."));
            }

            // Tokenized before admission (ARCHITECTURE §1), so the tenant grain admits on the real prompt size.
            var promptTokens = Tokenize(model, request);
            var contextLength = model.ContextLength;
            if (promptTokens.Length >= contextLength || (request.MaxTokens is { } max && promptTokens.Length + max > contextLength))
            {
                throw new ApiErrorException(ApiError.ContextLengthExceeded(request.PromptParam,
                    $"This model's maximum context length is {contextLength} tokens. However, you requested {promptTokens.Length + (request.MaxTokens ?? 0)} tokens " +
                    $"({promptTokens.Length} in the prompt, {request.MaxTokens ?? 0} for the completion). Please reduce the prompt or the completion length."));
            }

            var identity = context.GetGatewayIdentity();
            var tenant = grains.GetGrain<ITenantGrain>(identity.TenantId);
            var admission = await tenant.AdmitAsync(new AdmissionRequest(identity.RequestId, identity.KeyId, model.Id, request.MaxTokens ?? model.ContextLength, promptTokens.Length));
            if (!admission.Allowed)
            {
                throw new ApiErrorException(ToApiError(admission));
            }

            using var renewal = new CancellationTokenSource();
            var renewing = RenewLeaseAsync(tenant, identity, renewal.Token);
            try
            {
                await RunAdmittedAsync(context, request, model, promptTokens, identity, endpoint, started);
            }
            finally
            {
                await renewal.CancelAsync();
                await renewing;
                await ReleaseAsync(tenant, identity);
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

    private async Task RunAdmittedAsync(HttpContext context, ValidatedGeneration request, ServedModel model, int[] promptTokens, GatewayIdentity identity, string endpoint, long started)
    {
        var aborted = context.RequestAborted;
        var startedAt = time.GetUtcNow();
        var contextLength = model.ContextLength;

        var command = new GenerateCommand
        {
            RequestId = identity.RequestId,
            TenantId = identity.TenantId,
            PromptTokens = promptTokens,
            MaxTokens = request.MaxTokens ?? Math.Min(contextLength - promptTokens.Length, DefaultMaxTokensCap),
            Sampling = request.Sampling,
            Stop = request.Stop,
            IgnoreEos = request.IgnoreEos,
        };
        var progress = new GenerationProgress(model, request, promptTokens.Length, started);
        var response = new ResponseShape(request.Kind, (request.Kind == GenerationKind.Chat ? "chatcmpl-" : "cmpl-") + identity.RequestId, startedAt.ToUnixTimeSeconds(), model.Id);
        var outcome = "failed";
        try
        {
            var replica = replicas.Pick(model);
            var completed = request.Stream
                ? await StreamAsync(context, replica, command, request, response, progress)
                : await CompleteAsync(context, replica, command, response, progress);
            outcome = completed ? "completed" : "failed";
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            metrics.TokensUsed(model.Id, progress.PromptTokens, progress.CachedPromptTokens, progress.CompletionTokens);
            await usage.RecordAsync(new UsageRecord
            {
                RequestId = identity.RequestId,
                TenantId = identity.TenantId,
                KeyId = identity.KeyId,
                Model = model.Id,
                Endpoint = endpoint,
                PromptTokens = progress.PromptTokens,
                CachedPromptTokens = progress.CachedPromptTokens,
                CompletionTokens = progress.CompletionTokens,
                StartedAt = startedAt,
                TimeToFirstToken = progress.TimeToFirstToken,
                Duration = Stopwatch.GetElapsedTime(started),
                Outcome = outcome,
            }, CancellationToken.None);
        }
    }

    /// <summary>Non-streaming: collects every token, then answers with one JSON object.</summary>
    private async Task<bool> CompleteAsync(HttpContext context, IModelReplicaGrain replica, GenerateCommand command, ResponseShape shape, GenerationProgress progress)
    {
        var aborted = context.RequestAborted;
        try
        {
            await foreach (var chunk in replica.GenerateAsync(command, aborted).WithCancellation(aborted))
            {
                Observe(progress, chunk, shape.Model);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            throw new ApiErrorException(MapFailure(ex, context.TraceIdentifier));
        }

        object body = shape.Kind == GenerationKind.Chat
            ? new ChatCompletion(shape.Id, shape.Created, shape.Model,
                [new ChatChoice(0, new ChatResponseMessage("assistant", progress.Text), progress.ChatLogprobs, progress.FinishReason)], progress.Usage, null)
            : new TextCompletion(shape.Id, shape.Created, shape.Model,
                [new TextChoice(progress.Text, 0, progress.TextLogprobs, progress.FinishReason)], progress.Usage, null);
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, body.GetType(), ApiJson.Options, aborted);
        return true;
    }

    /// <summary>
    /// Server-sent events. Headers go out only once the replica produced its first chunk, so failures to
    /// start (no worker, engine error) still get a proper status; later failures end the stream with an error event.
    /// </summary>
    private async Task<bool> StreamAsync(HttpContext context, IModelReplicaGrain replica, GenerateCommand command, ValidatedGeneration request, ResponseShape shape, GenerationProgress progress)
    {
        var aborted = context.RequestAborted;
        await using var tokens = replica.GenerateAsync(command, aborted).GetAsyncEnumerator(aborted);
        bool more;
        try
        {
            more = await tokens.MoveNextAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            throw new ApiErrorException(MapFailure(ex, context.TraceIdentifier));
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        if (shape.Kind == GenerationKind.Chat)
        {
            await WriteEventAsync(response, shape.ChatChunk(new ChatDelta("assistant", ""), null, null), aborted);
        }

        try
        {
            while (more)
            {
                var chunk = tokens.Current;
                var logprob = Observe(progress, chunk, shape.Model);
                if (chunk.Text.Length > 0 || logprob is not null)
                {
                    await WriteEventAsync(response, shape.Kind == GenerationKind.Chat
                        ? shape.ChatChunk(new ChatDelta(null, chunk.Text), logprob is null ? null : new ChatLogprobs([logprob]), null)
                        : shape.TextChunk(chunk.Text, logprob is null ? null : progress.LastTextLogprobs, null), aborted);
                }

                if (chunk.Finish is not null)
                {
                    await WriteEventAsync(response, shape.Kind == GenerationKind.Chat
                        ? shape.ChatChunk(new ChatDelta(null, null), null, progress.FinishReason)
                        : shape.TextChunk("", null, progress.FinishReason), aborted);
                }

                more = await tokens.MoveNextAsync();
            }

            if (request.IncludeUsage)
            {
                await WriteEventAsync(response, shape.Kind == GenerationKind.Chat
                    ? new ChatCompletionChunk(shape.Id, shape.Created, shape.Model, [], progress.Usage, null)
                    : new TextCompletion(shape.Id, shape.Created, shape.Model, [], progress.Usage, null), aborted);
            }

            await response.WriteAsync("data: [DONE]\n\n", aborted);
            await response.Body.FlushAsync(aborted);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !aborted.IsCancellationRequested)
        {
            var error = MapFailure(ex, context.TraceIdentifier);
            await response.WriteAsync($"data: {error.ToJson()}\n\n", aborted);
            await response.Body.FlushAsync(aborted);
            return false;
        }
    }

    private ChatTokenLogprob? Observe(GenerationProgress progress, TokenChunk chunk, string model)
    {
        var logprob = progress.Observe(chunk);
        if (progress.LastInterTokenGap is { } gap)
        {
            metrics.NextToken(model, gap);
        }
        else if (chunk.TokenId >= 0 && chunk.Finish is null && progress.CompletionTokens == 1 && progress.TimeToFirstToken is { } ttft)
        {
            metrics.FirstToken(model, ttft);
        }

        return logprob;
    }

    private static async Task WriteEventAsync(HttpResponse response, object chunk, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, chunk.GetType(), ApiJson.Options) + "\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private int[] Tokenize(ServedModel model, ValidatedGeneration request)
    {
        try
        {
            if (request.Kind == GenerationKind.Chat)
            {
                // The template writes BOS itself where the model family wants it.
                return model.Tokenizer.Encode(model.ChatTemplate.Render(request.Messages, addGenerationPrompt: true));
            }

            var ids = model.Tokenizer.Encode(request.Prompt);
            return model.Tokenizer.AddBosToken ? [model.Tokenizer.BosTokenId, .. ids] : ids;
        }
        catch (Exception ex)
        {
            LogTokenizerFailed(logger, ex, model.Id, model.Path);
            throw new ApiErrorException(ApiError.Internal($"The tokenizer of model '{model.Id}' is not available."));
        }
    }

    /// <summary>Keeps the tenant slot's lease alive while a long generation runs (the lease only exists to reclaim slots of dead callers).</summary>
    private async Task RenewLeaseAsync(ITenantGrain tenant, GatewayIdentity identity, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(tenancy.Value.LeaseDuration / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await tenant.RenewAsync(identity.RequestId);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRenewFailed(logger, ex, identity.TenantId, identity.RequestId);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The request finished.
        }
    }

    private async Task ReleaseAsync(ITenantGrain tenant, GatewayIdentity identity)
    {
        try
        {
            await tenant.ReleaseAsync(identity.RequestId);
        }
        catch (Exception ex)
        {
            // The slot's lease expires on its own; the request itself is done.
            LogReleaseFailed(logger, ex, identity.TenantId, identity.RequestId);
        }
    }

    private ApiError MapFailure(Exception ex, string requestId)
    {
        LogGenerationFailed(logger, ex, requestId);
        return ex switch
        {
            ApiErrorException api => api.Error,
            OrleansException or InvalidOperationException or TimeoutException => ApiError.Unavailable("No model replica can serve this request right now."),
            _ => ApiError.Internal("Generation failed."),
        };
    }

    private static ApiError ToApiError(AdmissionResult admission) => admission.Error switch
    {
        AdmissionError.ModelNotAllowed => ApiError.Forbidden(admission.Message, "model_not_allowed", "model"),
        AdmissionError.TenantDisabled => ApiError.Forbidden(admission.Message, "tenant_disabled"),
        AdmissionError.UnknownTenant => ApiError.Forbidden(admission.Message, "tenant_not_found"),
        AdmissionError.TooManyConcurrentRequests => ApiError.TooManyRequests(admission.Message, "concurrency_limit_exceeded", admission.RetryAfterSeconds ?? 1),
        _ => ApiError.Internal(admission.Message),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation for request {RequestId} failed")]
    private static partial void LogGenerationFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tokenizing for model {Model} ({Path}) failed")]
    private static partial void LogTokenizerFailed(ILogger logger, Exception exception, string model, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing tenant {TenantId} slot of request {RequestId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string tenantId, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing tenant {TenantId} slot of request {RequestId} failed; its lease will expire")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string tenantId, string requestId);
}
