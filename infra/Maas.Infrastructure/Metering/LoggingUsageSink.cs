using Microsoft.Extensions.Logging;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Writes usage records to the log only: the default of <c>AddMaasGeneration</c> for hosts without PostgreSQL
/// metering. Serving processes register <see cref="PostgresUsageSink"/> (<c>AddMaasMetering</c>) instead.
/// </summary>
public sealed partial class LoggingUsageSink(ILogger<LoggingUsageSink> logger) : IUsageSink
{
    public ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        LogUsage(logger, record.RequestId, record.TenantId, record.KeyId, record.Model, record.PromptTokens, record.CachedPromptTokens, record.CompletionTokens,
            UsageText.Of(record.FinishReason), (record.FinishedAt - record.ReceivedAt).TotalMilliseconds);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Usage {RequestId} tenant {TenantId} key {KeyId} model {Model}: prompt {PromptTokens} (cached {CachedTokens}), completion {CompletionTokens}, {FinishReason} in {DurationMs} ms")]
    private static partial void LogUsage(ILogger logger, string requestId, string tenantId, string keyId, string model, int promptTokens, int cachedTokens, int completionTokens, string finishReason, double durationMs);
}
