using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Maas.Generation.Pipeline;
using Maas.Generation.Requests;
using Maas.Generation.Responses;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Redis;
using Maas.Plant.Responses;
using Maas.Plant.Sparkplug;
using Microsoft.Extensions.Options;

namespace Maas.Plant.Mqtt;

/// <summary>
/// Runs the requests plants publish on <c>maas/{tenant}/requests/{requestId}</c>: the tenant's and key's request rates
/// (the gateway's Redis counters), a claim on (tenant, request id) so a duplicate publish is generated and metered once
/// and gets the stored response again, optional Sparkplug B context, then the shared generation pipeline (usage source
/// plant). The response goes out on <c>maas/{tenant}/responses/{requestId}</c> as one message, or as stream chunks
/// ending with the usage chunk; errors in the OpenAI shape. Only claimed requests are stored, so a refused one (rate
/// limit, bad JSON) may be published again with the same id.
/// </summary>
public sealed partial class PlantRequestHandler(
    GenerationPipeline pipeline,
    PlantResponseStore store,
    PlantMqttEndpoint endpoint,
    SparkplugContextStore sparkplug,
    RedisRequestRateLimiter limiter,
    IOptions<PlantOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<PlantRequestHandler> logger)
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentGenerations);
    private readonly HashSet<string> _sparkplugTenants = new(options.Value.SparkplugTenants, StringComparer.Ordinal);
    private int _running;

    /// <summary>Requests being handled now (for shutdown and tests).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Takes a published request; handling continues in the background so the broker's loop never waits on a generation.</summary>
    public void Accept(PlantClient client, string requestId, byte[] payload)
    {
        var received = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _running);
        _ = Task.Run(async () =>
        {
            try
            {
                await HandleAsync(client.TenantId, client.KeyId, client.KeyRequestsPerMinute, client.TenantRequestsPerMinute, requestId, payload, received, lifetime.ApplicationStopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex, client.TenantId, requestId);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        });
    }

    /// <summary>Generates again what a stopped process had claimed but not answered.</summary>
    public async Task ResumeAsync(PlantResponse unfinished, CancellationToken cancellationToken)
    {
        LogResuming(logger, unfinished.TenantId, unfinished.RequestId);
        await GenerateClaimedAsync(unfinished.TenantId, Guid.Parse(unfinished.KeyId), unfinished.RequestId, Encoding.UTF8.GetBytes(unfinished.RequestBody), Stopwatch.GetTimestamp(), unfinished.CreatedAt, cancellationToken);
    }

    private async Task HandleAsync(string tenantId, Guid keyId, int keyRpm, int tenantRpm, string requestId, byte[] payload, long received, CancellationToken cancellationToken)
    {
        if (!PlantTopics.IsValidRequestId(requestId))
        {
            await RefuseAsync(tenantId, requestId, ApiError.InvalidValue("requestId", $"A request id is 1 to {PlantTopics.MaxRequestIdLength} letters, digits or '-_.:'."), "bad_request_id", cancellationToken);
            return;
        }

        if (payload.Length > options.Value.MaxRequestBytes)
        {
            await RefuseAsync(tenantId, requestId, ApiError.PayloadTooLarge(), "too_large", cancellationToken);
            return;
        }

        // The gateway's counters (its RateLimitMiddleware.KeyPrefix, GCRA in Redis): one limit per key over HTTP and MQTT.
        RateLimitRule[] rules =
        [
            new("maas:gcra:key:" + keyId.ToString("D"), Math.Max(1, keyRpm), RateWindow),
            new("maas:gcra:tenant:" + tenantId, Math.Max(1, tenantRpm), RateWindow),
        ];
        var decision = await limiter.AcquireAsync(rules, cancellationToken);
        if (!decision.Allowed)
        {
            var retryAfter = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds));
            await RefuseAsync(tenantId, requestId, ApiError.TooManyRequests($"Rate limit reached for requests. Please try again in {retryAfter}s.", "rate_limit_exceeded", retryAfter), "rate_limited", cancellationToken);
            return;
        }

        GenerationKind kind;
        try
        {
            using var document = JsonDocument.Parse(payload);
            kind = KindOf(document.RootElement);
        }
        catch (JsonException ex)
        {
            await RefuseAsync(tenantId, requestId, ApiError.InvalidJson(ex.Message), "invalid_json", cancellationToken);
            return;
        }
        catch (ApiErrorException ex)
        {
            await RefuseAsync(tenantId, requestId, ex.Error, "invalid", cancellationToken);
            return;
        }

        var (claimed, existing, arrival) = await store.ClaimAsync(tenantId, requestId, keyId, kind == GenerationKind.Chat ? "chat" : "completion", Encoding.UTF8.GetString(payload), cancellationToken);
        if (!claimed)
        {
            // A plant's retry: never generated or billed again; a finished response goes out again, a running one will.
            if (existing!.Status == PlantResponseStore.Completed)
            {
                PlantMetrics.Redeliveries.WithLabels("duplicate").Inc();
                await endpoint.PublishAsync(tenantId, requestId, existing.Messages, cancellationToken);
            }

            PlantMetrics.Requests.WithLabels("duplicate").Inc();
            return;
        }

        await GenerateClaimedAsync(tenantId, keyId, requestId, payload, received, arrival, cancellationToken);
    }

    private async Task GenerateClaimedAsync(string tenantId, Guid keyId, string requestId, byte[] payload, long received, DateTimeOffset arrival, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            var messages = new List<string>();
            string response;
            try
            {
                response = await GenerateAsync(tenantId, keyId, requestId, payload, received, arrival, messages, cancellationToken);
                PlantMetrics.Requests.WithLabels("completed").Inc();
            }
            catch (ApiErrorException ex) when (ex.Error.Status is 429 or 503)
            {
                // Busy or unavailable now, not wrong: the claim is dropped so the plant's retry with the same id runs.
                await store.ReleaseClaimAsync(tenantId, requestId, CancellationToken.None);
                messages.Add(ex.Error.ToJson());
                PlantMetrics.Requests.WithLabels("retryable_error").Inc();
                await endpoint.PublishAsync(tenantId, requestId, [messages[^1]], cancellationToken);
                return;
            }
            catch (ApiErrorException ex)
            {
                response = ex.Error.ToJson();
                messages.Add(response);
                PlantMetrics.Requests.WithLabels("error").Inc();
            }

            // Stored (with whatever is owed to persistent sessions) before the final message goes out.
            var owed = await endpoint.OwedDeliveriesAsync(tenantId, requestId, cancellationToken);
            await store.CompleteAsync(tenantId, requestId, messages, response, owed, cancellationToken);
            // Stream chunks before the last message were published live; the last goes out once stored.
            await endpoint.PublishAsync(tenantId, requestId, [messages[^1]], cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Runs the pipeline; returns the whole response as JSON and fills <paramref name="messages"/> with what the topic carries.</summary>
    private async Task<string> GenerateAsync(string tenantId, Guid keyId, string requestId, byte[] payload, long received, DateTimeOffset arrival, List<string> messages, CancellationToken cancellationToken)
    {
        ValidatedGeneration request;
        IReadOnlyList<string> devices;
        GenerationKind kind;
        using (var document = JsonDocument.Parse(payload))
        {
            kind = KindOf(document.RootElement);
            // The claim's time is the usage record's arrival: a re-run after a restart writes the same key (metered once).
            request = GenerationPipeline.Validate(document.RootElement, kind, received) with { ReceivedAt = arrival };
            devices = PlantContextPrompt.RequestedDevices(document.RootElement);
        }

        string? context = null;
        if (devices.Count > 0)
        {
            if (!_sparkplugTenants.Contains(tenantId))
            {
                throw new ApiErrorException(ApiError.InvalidValue(PlantContextPrompt.Field, "Sparkplug B context is not enabled for this tenant."));
            }

            var snapshot = sparkplug.Snapshot(tenantId, devices);
            context = PlantContextPrompt.Render(snapshot);
            request = PlantContextPrompt.WithContext(request, snapshot);
        }

        // Namespaced by tenant: plants choose their ids, and two tenants may choose the same.
        var identity = new RequestIdentity(tenantId, keyId.ToString("D"), $"plant:{tenantId}:{requestId}", UsageSource.Plant);
        var builder = new OpenAiResponseBuilder(kind, identity.RequestId, time.GetUtcNow().ToUnixTimeSeconds(), request.Model, request.Sampling.Logprobs);
        if (request.Stream && builder.StreamStart() is { } start)
        {
            await PublishLiveAsync(tenantId, requestId, start, messages, cancellationToken);
        }

        // A stream that fails midway ends with the error as its final message (the caller adds it).
        await foreach (var update in pipeline.RunAsync(request, identity, cancellationToken))
        {
            var (content, finish) = builder.Add(update);
            if (!request.Stream)
            {
                continue;
            }

            foreach (var chunk in new[] { content, finish })
            {
                if (chunk is not null)
                {
                    await PublishLiveAsync(tenantId, requestId, chunk, messages, cancellationToken);
                }
            }
        }

        // The context the answer was based on goes back with it, so a plant can audit which values the model saw.
        var completion = PlantContextPrompt.Annotate(Serialize(builder.Completion()), context);
        messages.Add(request.Stream ? PlantContextPrompt.Annotate(Serialize(builder.UsageChunk()), context) : completion);
        return completion;
    }

    private async Task PublishLiveAsync(string tenantId, string requestId, object chunk, List<string> messages, CancellationToken cancellationToken)
    {
        var json = Serialize(chunk);
        messages.Add(json);
        await endpoint.PublishAsync(tenantId, requestId, [json], cancellationToken);
    }

    private static string Serialize(object value) => JsonSerializer.Serialize(value, value.GetType(), OpenAiJson.Options);

    private async Task RefuseAsync(string tenantId, string requestId, ApiError error, string outcome, CancellationToken cancellationToken)
    {
        PlantMetrics.Requests.WithLabels(outcome).Inc();
        LogRefused(logger, tenantId, requestId, error.Error.Code ?? error.Error.Type);
        var topicId = PlantTopics.IsValidRequestId(requestId) ? requestId : "invalid";
        await endpoint.PublishAsync(tenantId, topicId, [error.ToJson()], cancellationToken);
    }

    /// <summary>A chat request has "messages", a completion request "prompt".</summary>
    private static GenerationKind KindOf(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiErrorException(ApiError.InvalidJson("The request body must be a JSON object."));
        }

        if (body.TryGetProperty("messages", out _))
        {
            return GenerationKind.Chat;
        }

        return body.TryGetProperty("prompt", out _) ? GenerationKind.Completion : throw new ApiErrorException(ApiError.Missing("messages"));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Plant request {RequestId} of tenant {TenantId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string tenantId, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plant request {RequestId} of tenant {TenantId} refused: {Code}")]
    private static partial void LogRefused(ILogger logger, string tenantId, string requestId, string? code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Generating plant request {RequestId} of tenant {TenantId} again: claimed by a process that stopped")]
    private static partial void LogResuming(ILogger logger, string tenantId, string requestId);
}
