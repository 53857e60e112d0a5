using System.Diagnostics;
using System.Runtime.CompilerServices;
using Maas.Generation.Models;
using Maas.Generation.Requests;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.OpenAi;
using Microsoft.Extensions.Logging;

namespace Maas.Generation.Pipeline;

/// <summary>
/// The one generation path of every entry point (the api's HTTP endpoints, the plant service, batch jobs):
/// validate → tokenize → admit → generate → meter. It knows nothing of HTTP: it takes a validated request, the
/// caller's identity and a cancellation token and yields <see cref="GenerationUpdate"/>s; adapters write them as
/// JSON, server-sent events or messages with <see cref="Responses.OpenAiResponseBuilder"/>.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="ApiErrorException"/> in the OpenAI shape. Failures before the first update
/// (unknown model, prompt too long, refused admission, no replica able to start) surface on the first
/// <c>MoveNextAsync</c>, so an adapter can still answer with a status; later ones end the stream. Cancelling the
/// token (a client that went away) cancels the sequence in the engine. Whatever happens after admission, the
/// tenant slot is released and exactly one usage record is written before the enumeration ends.
/// </remarks>
public sealed partial class GenerationPipeline(
    ServedModelCatalog catalog,
    IGrainFactory grains,
    ReplicaSelector replicas,
    GenerationMetrics metrics,
    IUsageSink usage,
    TimeProvider time,
    ILogger<GenerationPipeline> logger)
{
    /// <summary>max_tokens when the request has none: the rest of the context, but no more than this.</summary>
    public const int DefaultMaxTokensCap = 4096;

    /// <summary>Stage 1, validate: parses an OpenAI request body (see <see cref="GenerationRequestValidator"/>).</summary>
    public static ValidatedGeneration Validate(System.Text.Json.JsonElement body, GenerationKind kind, long receivedTimestamp) =>
        GenerationRequestValidator.Validate(body, kind, receivedTimestamp);

    /// <summary>Stages 2-5: model limits, tokenize, admit, generate and meter.</summary>
    public async IAsyncEnumerable<GenerationUpdate> RunAsync(
        ValidatedGeneration request,
        RequestIdentity identity,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var model = catalog.Find(request.Model) ?? throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
        if (request.MaxTokens is { } requested && requested > model.ContextLength)
        {
            throw new ApiErrorException(ApiError.InvalidValue(request.MaxTokensParam,
                $"'{request.MaxTokensParam}' is {requested}, but this model's maximum context length is {model.ContextLength} tokens."));
        }

        // Tokenized before admission, so the tenant grain admits on the real prompt size.
        var promptTokens = Tokenize(model, request);
        var contextLength = model.ContextLength;
        if (promptTokens.Length >= contextLength || (request.MaxTokens is { } max && promptTokens.Length + max > contextLength))
        {
            throw new ApiErrorException(ApiError.ContextLengthExceeded(request.PromptParam,
                $"This model's maximum context length is {contextLength} tokens. However, you requested {promptTokens.Length + (request.MaxTokens ?? 0)} tokens " +
                $"({promptTokens.Length} in the prompt, {request.MaxTokens ?? 0} for the completion). Please reduce the prompt or the completion length."));
        }

        // The max_tokens the engine will apply: admission reserves the worst-case cost against budgets with this bound.
        var maxTokens = request.MaxTokens ?? Math.Min(contextLength - promptTokens.Length, DefaultMaxTokensCap);
        var tenant = grains.GetGrain<ITenantGrain>(identity.TenantId);
        var admission = await tenant.AdmitAsync(new AdmissionRequest(identity.RequestId, identity.KeyId, model.Id, maxTokens, promptTokens.Length));
        if (!admission.Allowed)
        {
            throw new ApiErrorException(ToApiError(admission));
        }

        // Wall-clock arrival: now, less the time since the entry point received the request (monotonic clock).
        // A batch line re-run after a restart keeps its first attempt's arrival, so its usage record has the same key
        // (request id, received_at) and is stored once.
        var receivedAt = request.ReceivedAt is { } fixedArrival
            ? UsageRecord.Microseconds(fixedArrival)
            : UsageRecord.Microseconds(time.GetUtcNow() - Stopwatch.GetElapsedTime(request.ReceivedTimestamp));
        var command = new GenerateCommand
        {
            RequestId = identity.RequestId,
            TenantId = identity.TenantId,
            PromptTokens = promptTokens,
            MaxTokens = maxTokens,
            Sampling = request.Sampling,
            Stop = request.Stop,
            IgnoreEos = request.IgnoreEos,
            Batch = identity.Source == UsageSource.Batch,
        };
        var progress = new GenerationProgress(model, request.Sampling.Logprobs, promptTokens.Length, request.ReceivedTimestamp);
        var completed = false;
        using var renewal = new CancellationTokenSource();
        var renewing = RenewLeaseAsync(tenant, identity, admission.LeaseDuration, renewal.Token);
        try
        {
            IAsyncEnumerator<TokenChunk> tokens;
            try
            {
                tokens = replicas.Pick(model).GenerateAsync(command, cancellationToken).GetAsyncEnumerator(cancellationToken);
            }
            catch (ArgumentException ex)
            {
                // The api silo has no replica grain class: until a worker silo joins, the cluster knows no implementation.
                LogGenerationFailed(logger, ex, identity.RequestId);
                throw new ApiErrorException(ApiError.Unavailable("No model replica can serve this request right now."));
            }

            await using (tokens)
            {
                GenerationUpdate? last = null;
                while (await NextAsync(tokens, identity.RequestId, cancellationToken))
                {
                    last = Observe(progress, tokens.Current, model.Id);
                    yield return last;
                }

                if (last?.FinishReason is null)
                {
                    // The replica always ends with a finish chunk; should it not, the client still gets a finish and usage.
                    yield return new GenerationUpdate("", null, progress.FinishReason, progress.Usage);
                }
            }

            completed = true;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            // Metered for what was produced: the prompt counts once the engine answered at all (a request no replica
            // could start, or that was cancelled before its first token, consumed no billable prompt).
            var meteredPromptTokens = progress.Started ? progress.PromptTokens : 0;
            await ReleaseAsync(tenant, identity, new SettledUsage(meteredPromptTokens, progress.CachedPromptTokens, progress.CompletionTokens, identity.Source == UsageSource.Batch));
            metrics.TokensUsed(model.Id, progress.PromptTokens, progress.CachedPromptTokens, progress.CompletionTokens);
            await RecordUsageAsync(new UsageRecord
            {
                RequestId = identity.RequestId,
                TenantId = identity.TenantId,
                KeyId = identity.KeyId,
                Model = model.Id,
                WeightsDigest = progress.WeightsDigest,
                Source = identity.Source,
                Endpoint = request.Endpoint,
                PromptTokens = meteredPromptTokens,
                CachedPromptTokens = progress.CachedPromptTokens,
                CompletionTokens = progress.CompletionTokens,
                ReceivedAt = receivedAt,
                FirstTokenAt = progress.TimeToFirstToken is { } ttft ? UsageRecord.Microseconds(receivedAt + ttft) : null,
                FinishedAt = request.ReceivedAt is null
                    ? UsageRecord.Microseconds(receivedAt + Stopwatch.GetElapsedTime(request.ReceivedTimestamp))
                    : UsageRecord.Microseconds(time.GetUtcNow()),
                FinishReason = completed ? progress.UsageFinishReason : cancellationToken.IsCancellationRequested ? UsageFinishReason.Cancelled : UsageFinishReason.Error,
            });
        }
    }

    /// <summary>
    /// Hands the record to the sink and waits until it is durable. Should neither PostgreSQL nor the local spill take it,
    /// the request fails rather than reporting success for usage that could be lost.
    /// </summary>
    private async Task RecordUsageAsync(UsageRecord record)
    {
        try
        {
            await usage.RecordAsync(record, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogUsageNotRecorded(logger, ex, record.RequestId, record.TenantId);
            throw new ApiErrorException(ApiError.Unavailable("The request's usage could not be recorded; it did not complete."));
        }
    }

    /// <summary>The next chunk from the replica; a failure other than the caller's own cancellation becomes an OpenAI error.</summary>
    private async ValueTask<bool> NextAsync(IAsyncEnumerator<TokenChunk> tokens, string requestId, CancellationToken cancellationToken)
    {
        try
        {
            return await tokens.MoveNextAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ApiErrorException(MapFailure(ex, requestId));
        }
    }

    private GenerationUpdate Observe(GenerationProgress progress, TokenChunk chunk, string model)
    {
        var update = progress.Observe(chunk);
        if (progress.LastInterTokenGap is { } gap)
        {
            metrics.NextToken(model, gap);
        }
        else if (chunk.TokenId >= 0 && chunk.Finish is null && progress.CompletionTokens == 1 && progress.TimeToFirstToken is { } ttft)
        {
            metrics.FirstToken(model, ttft);
        }

        return update;
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
    private async Task RenewLeaseAsync(ITenantGrain tenant, RequestIdentity identity, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(leaseDuration / 3, time);
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

    private async Task ReleaseAsync(ITenantGrain tenant, RequestIdentity identity, SettledUsage used)
    {
        try
        {
            await tenant.ReleaseAsync(identity.RequestId, used);
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

            // No worker can place or load the replica, a silo went away, or a call timed out.
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
        AdmissionError.InsufficientQuota => ApiError.InsufficientQuota(admission.Message),
        AdmissionError.ModelNotPriced => ApiError.ModelNotPriced(admission.Message),
        _ => ApiError.Internal(admission.Message),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation for request {RequestId} failed")]
    private static partial void LogGenerationFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tokenizing for model {Model} ({Path}) failed")]
    private static partial void LogTokenizerFailed(ILogger logger, Exception exception, string model, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing tenant {TenantId} slot of request {RequestId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string tenantId, string requestId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The usage record of request {RequestId} (tenant {TenantId}) could not be stored; the request fails")]
    private static partial void LogUsageNotRecorded(ILogger logger, Exception exception, string requestId, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing tenant {TenantId} slot of request {RequestId} failed; its lease will expire")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string tenantId, string requestId);
}
