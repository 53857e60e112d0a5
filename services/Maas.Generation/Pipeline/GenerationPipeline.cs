using System.Diagnostics;
using System.Runtime.CompilerServices;
using Maas.Generation.FineTunes;
using Maas.Generation.Models;
using Maas.Generation.Requests;
using Maas.Grains.Abstractions.FineTunes;
using Maas.Grains.Abstractions.Models;
using Maas.Grains.Abstractions.Tenancy;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.OpenAi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Generation.Pipeline;

/// <summary>
/// The one generation path of every entry point (the api's HTTP endpoints, the plant service, batch jobs):
/// validate → admit on a cheap bound → tokenize → generate → meter. It knows nothing of HTTP: it takes a validated
/// request, the caller's identity and a cancellation token and yields <see cref="GenerationUpdate"/>s; adapters write
/// them as JSON, server-sent events or messages with <see cref="Responses.OpenAiResponseBuilder"/>.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="ApiErrorException"/> in the OpenAI shape. Failures before the first update
/// (unknown model, prompt too long, refused admission, no replica able to start) surface on the first
/// <c>MoveNextAsync</c>, so an adapter can still answer with a status; later ones end the stream. Admission comes
/// before tokenizing, on what the prompt can cost at most (<see cref="PromptSize"/>), so a tenant's concurrency limit
/// also bounds how much tokenizing it can cause; tokenizing itself is bounded by <see cref="PromptEncoder"/>.
/// Cancelling the token (a client that went away) cancels the sequence in the engine. Whatever happens after
/// admission, the tenant slot is released and exactly one usage record is written before the enumeration ends.
/// </remarks>
public sealed partial class GenerationPipeline(
    ServedModelCatalog catalog,
    FineTuneDirectory fineTunes,
    IGrainFactory grains,
    ReplicaSelector replicas,
    ReplicaCapacities capacities,
    PromptEncoder prompts,
    GenerationMetrics metrics,
    IUsageSink usage,
    IOptions<GenerationOptions> options,
    TimeProvider time,
    ILogger<GenerationPipeline> logger)
{
    /// <summary>max_tokens when the request has none: the rest of the context, but no more than this.</summary>
    public const int DefaultMaxTokensCap = 4096;

    private readonly int _charactersPerContextToken = options.Value.PromptCharactersPerContextToken;
    private readonly TimeSpan _consumerLease = options.Value.ReplicaConsumerLease;

    /// <summary>Stage 1, validate: parses an OpenAI request body (see <see cref="GenerationRequestValidator"/>).</summary>
    public static ValidatedGeneration Validate(System.Text.Json.JsonElement body, GenerationKind kind, long receivedTimestamp) =>
        GenerationRequestValidator.Validate(body, kind, receivedTimestamp);

    /// <summary>Stages 2-5: model limits, admit, tokenize, generate and meter.</summary>
    public async IAsyncEnumerable<GenerationUpdate> RunAsync(
        ValidatedGeneration request,
        RequestIdentity identity,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A fine-tune ("ft:{base}:{tenant}:{name}") runs on its base model with its replacement experts; a name of another
        // tenant, deleted, or unknown is the same 404 as any unknown model.
        var fineTune = FineTuneName.IsFineTune(request.Model) ? await fineTunes.FindAsync(identity.TenantId, request.Model, cancellationToken) : null;
        var model = (fineTune is null ? FineTuneName.IsFineTune(request.Model) ? null : catalog.Find(request.Model) : catalog.Find(fineTune.BaseModel))
            ?? throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
        var contextLength = model.ContextLength;
        if (request.MaxTokens is { } requested && requested > contextLength)
        {
            throw new ApiErrorException(ApiError.InvalidValue(request.MaxTokensParam,
                $"'{request.MaxTokensParam}' is {requested}, but this model's maximum context length is {contextLength} tokens."));
        }

        if (request.Constraint?.Kind == OutputConstraintKind.ToolCalls && !ToolCallStreamParser.Supports(model.Tokenizer))
        {
            throw new ApiErrorException(ApiError.InvalidValue("tools", $"The model '{model.Id}' has no tool-call tokens in its tokenizer; it cannot call tools.", "unsupported_value"));
        }

        // Cheap bounds only before admission: no tokenizer runs for a request that will not be admitted.
        var size = PromptSize.Of(request);
        var characterLimit = (long)contextLength * _charactersPerContextToken;
        if (size.Characters > characterLimit)
        {
            throw new ApiErrorException(ApiError.ContextLengthExceeded(request.PromptParam,
                $"The prompt has {size.Characters} characters; this model's context of {contextLength} tokens takes prompts of at most {characterLimit} characters. Please reduce the prompt."));
        }

        // Admission reserves the worst case against budgets: the prompt's bound, and the most the engine may generate
        // (the default max_tokens for the shortest possible prompt, one token).
        var tenant = grains.GetGrain<ITenantGrain>(identity.TenantId);
        var admission = await tenant.AdmitAsync(new AdmissionRequest(
            identity.RequestId,
            identity.KeyId,
            model.Id,
            request.MaxTokens ?? Math.Min(contextLength - 1, DefaultMaxTokensCap),
            (int)Math.Min(size.TokenBound, contextLength),
            fineTune?.Id));
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
        GenerationProgress? progress = null;
        var completed = false;
        using var renewal = new CancellationTokenSource();
        var renewing = RepeatAsync(() => tenant.RenewAsync(identity.RequestId), admission.LeaseDuration / 3, time, identity, "tenant slot", renewal.Token);
        var consuming = Task.CompletedTask;
        try
        {
            var promptTokens = await TokenizeAsync(model, request, contextLength, cancellationToken);
            IModelReplicaGrain replica;
            try
            {
                replica = replicas.Pick(model);
            }
            catch (ArgumentException ex)
            {
                // The api silo has no replica grain class: until a worker silo joins, the cluster knows no implementation.
                LogGenerationFailed(logger, ex, identity.RequestId);
                throw new ApiErrorException(ApiError.Unavailable("No model replica can serve this request right now."));
            }

            var command = new GenerateCommand
            {
                RequestId = identity.RequestId,
                TenantId = identity.TenantId,
                TenantWeight = admission.SchedulingWeight,
                PromptTokens = promptTokens,
                MaxTokens = await MaxTokensAsync(replica, request, promptTokens.Length, contextLength, cancellationToken),
                Sampling = request.Sampling,
                Stop = request.Stop,
                IgnoreEos = request.IgnoreEos,
                // Tool calls are read by their marker tokens' ids, so markers never reach the text.
                SkipSpecialTokens = request.SkipSpecialTokens || request.ToolCallsExpected,
                ConsumerLease = _consumerLease,
                Batch = identity.Source == UsageSource.Batch,
                Constraint = request.Constraint,
                FineTune = fineTune is null ? null : new FineTuneRef
                {
                    Id = fineTune.Id,
                    Version = fineTune.Version,
                    ArtifactPath = fineTune.ArtifactPath,
                    Digest = fineTune.Digest,
                },
            };
            var toolCalls = request.ToolCallsExpected ? ToolCallStreamParser.For(model.Tokenizer) : null;
            progress = new GenerationProgress(model, request.Sampling.Logprobs, promptTokens.Length, request.ReceivedTimestamp);
            IAsyncEnumerator<TokenChunk> tokens;
            try
            {
                tokens = replica.GenerateAsync(command, cancellationToken).GetAsyncEnumerator(cancellationToken);

                // Real time: the worker measures the lease on its own clock.
                consuming = RepeatAsync(() => replica.RenewConsumerAsync(identity.RequestId), _consumerLease / 3, TimeProvider.System, identity, "replica consumer lease", renewal.Token);
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
                while (await NextAsync(tokens, replica, progress, request, command.MaxTokens, identity.RequestId, cancellationToken))
                {
                    last = Observe(progress, tokens.Current, model.Id);
                    yield return toolCalls is null ? last : toolCalls.Parse(last);
                }

                if (last?.FinishReason is null)
                {
                    // The replica always ends with a finish chunk; should it not, the client still gets a finish and usage.
                    var final = new GenerationUpdate("", null, progress.FinishReason, progress.Usage);
                    yield return toolCalls is null ? final : toolCalls.Parse(final);
                }
            }

            completed = true;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            await consuming;

            // Metered for what was produced: the prompt counts once the engine answered at all (a request no replica
            // could start, cancelled before its first token, or refused after admission once tokenized, consumed no
            // billable prompt).
            var meteredPromptTokens = progress is { Started: true } ? progress.PromptTokens : 0;
            var cachedPromptTokens = progress?.CachedPromptTokens ?? 0;
            var completionTokens = progress?.CompletionTokens ?? 0;
            await ReleaseAsync(tenant, identity, new SettledUsage(meteredPromptTokens, cachedPromptTokens, completionTokens, identity.Source == UsageSource.Batch));
            metrics.TokensUsed(model.Id, progress?.PromptTokens ?? 0, cachedPromptTokens, completionTokens);
            await RecordUsageAsync(new UsageRecord
            {
                RequestId = identity.RequestId,
                TenantId = identity.TenantId,
                KeyId = identity.KeyId,
                Model = model.Id,
                WeightsDigest = progress?.WeightsDigest,
                FineTune = fineTune?.Id,
                FineTuneVersion = fineTune?.Version,
                Source = identity.Source,
                Endpoint = request.Endpoint,
                PromptTokens = meteredPromptTokens,
                CachedPromptTokens = cachedPromptTokens,
                CompletionTokens = completionTokens,
                ReceivedAt = receivedAt,
                FirstTokenAt = progress?.TimeToFirstToken is { } ttft ? UsageRecord.Microseconds(receivedAt + ttft) : null,
                FinishedAt = request.ReceivedAt is null
                    ? UsageRecord.Microseconds(receivedAt + Stopwatch.GetElapsedTime(request.ReceivedTimestamp))
                    : UsageRecord.Microseconds(time.GetUtcNow()),
                FinishReason = completed ? progress!.UsageFinishReason
                    : cancellationToken.IsCancellationRequested ? UsageFinishReason.Cancelled
                    : progress is null or { Refused: true } ? UsageFinishReason.Rejected
                    : UsageFinishReason.Error,
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

    /// <summary>Stage 3, tokenize (bounded, <see cref="PromptEncoder"/>), then the exact context check.</summary>
    private async Task<int[]> TokenizeAsync(ServedModel model, ValidatedGeneration request, int contextLength, CancellationToken cancellationToken)
    {
        var promptTokens = await prompts.EncodeAsync(model, request, cancellationToken);
        if (promptTokens.Length >= contextLength || (request.MaxTokens is { } max && promptTokens.Length + max > contextLength))
        {
            throw new ApiErrorException(ApiError.ContextLengthExceeded(request.PromptParam,
                $"This model's maximum context length is {contextLength} tokens. However, you requested {promptTokens.Length + (request.MaxTokens ?? 0)} tokens " +
                $"({promptTokens.Length} in the prompt, {request.MaxTokens ?? 0} for the completion). Please reduce the prompt or the completion length."));
        }

        return promptTokens;
    }

    /// <summary>
    /// The request's max_tokens, or the default: the rest of the context, at most <see cref="DefaultMaxTokensCap"/>, and no
    /// more than the replica's KV cache holds next to the prompt. Refuses (400 naming the limit) a request whose prompt and
    /// max_tokens the replica's cache could never hold, as learned from the replica.
    /// </summary>
    private async ValueTask<int> MaxTokensAsync(IModelReplicaGrain replica, ValidatedGeneration request, int promptTokens, int contextLength, CancellationToken cancellationToken)
    {
        var capacity = await capacities.KvCacheTokensAsync(replica, cancellationToken);
        var maxTokens = request.MaxTokens ?? Math.Min(contextLength - promptTokens, DefaultMaxTokensCap);
        if (request.MaxTokens is null && capacity is { } held && held - promptTokens >= 1)
        {
            maxTokens = Math.Min(maxTokens, held - promptTokens);
        }

        if (capacity is { } limit && Math.Min((long)promptTokens + maxTokens, contextLength) > limit)
        {
            throw new ApiErrorException(ExceedsKvCache(request, limit, promptTokens, maxTokens));
        }

        return maxTokens;
    }

    private static ApiError ExceedsKvCache(ValidatedGeneration request, long limit, int promptTokens, int maxTokens) =>
        ApiError.ContextLengthExceeded(request.MaxTokens is null ? request.PromptParam : request.MaxTokensParam,
            $"This model's replicas hold KV cache for {limit} tokens per request at most. However, you requested {(long)promptTokens + maxTokens} tokens " +
            $"({promptTokens} in the prompt, {maxTokens} for the completion). Please reduce the prompt or the completion length.");

    /// <summary>
    /// The next chunk from the replica; a failure other than the caller's own cancellation becomes an OpenAI error, the
    /// replica's refusals a 400 naming its cache's limit or a 503 with Retry-After.
    /// </summary>
    private async ValueTask<bool> NextAsync(
        IAsyncEnumerator<TokenChunk> tokens,
        IModelReplicaGrain replica,
        GenerationProgress progress,
        ValidatedGeneration request,
        int maxTokens,
        string requestId,
        CancellationToken cancellationToken)
    {
        try
        {
            return await tokens.MoveNextAsync();
        }
        catch (ReplicaRefusedException ex)
        {
            progress.Refused = true;
            LogRefused(logger, requestId, replica.GetPrimaryKeyString(), ex.Reason, ex.Limit);
            if (ex.Reason == ReplicaRefusal.ExceedsKvCache)
            {
                capacities.Learned(replica.GetPrimaryKeyString(), (int)ex.Limit);
                throw new ApiErrorException(ExceedsKvCache(request, ex.Limit, progress.PromptTokens, maxTokens));
            }

            throw new ApiErrorException(ex.Reason == ReplicaRefusal.QueueFull
                ? ApiError.Overloaded("The model is at capacity: its queue is full. Please retry shortly.", "queue_full", 1)
                : ApiError.Overloaded("The model is at capacity: the request waited too long for a slot. Please retry shortly.", "queue_timeout", 2));
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

    /// <summary>
    /// Renews a lease every <paramref name="period"/> until the request ends: the tenant slot (its lease only exists to
    /// reclaim slots of dead callers) and the replica's consumer lease (which cancels sequences nobody consumes).
    /// </summary>
    private async Task RepeatAsync<T>(Func<Task<T>> renew, TimeSpan period, TimeProvider clock, RequestIdentity identity, string what, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await renew();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRenewFailed(logger, ex, what, identity.TenantId, identity.RequestId);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} refused by replica {Replica}: {Reason} (limit {Limit})")]
    private static partial void LogRefused(ILogger logger, string requestId, string replica, ReplicaRefusal reason, long limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generation for request {RequestId} failed")]
    private static partial void LogGenerationFailed(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the {What} of tenant {TenantId} request {RequestId} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string what, string tenantId, string requestId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The usage record of request {RequestId} (tenant {TenantId}) could not be stored; the request fails")]
    private static partial void LogUsageNotRecorded(ILogger logger, Exception exception, string requestId, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing tenant {TenantId} slot of request {RequestId} failed; its lease will expire")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string tenantId, string requestId);
}
