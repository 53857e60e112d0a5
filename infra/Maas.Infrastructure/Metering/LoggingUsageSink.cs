using Microsoft.Extensions.Logging;

namespace Maas.Infrastructure.Metering;

/// <summary>Writes usage records to the log until durable metering replaces it.</summary>
public sealed partial class LoggingUsageSink(ILogger<LoggingUsageSink> logger) : IUsageSink
{
    public ValueTask RecordAsync(UsageRecord record, CancellationToken cancellationToken)
    {
        LogUsage(logger, record.RequestId, record.TenantId, record.KeyId, record.Model, record.PromptTokens, record.CachedPromptTokens, record.CompletionTokens, record.Outcome, record.Duration.TotalMilliseconds);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Usage {RequestId} tenant {TenantId} key {KeyId} model {Model}: prompt {PromptTokens} (cached {CachedTokens}), completion {CompletionTokens}, {Outcome} in {DurationMs} ms")]
    private static partial void LogUsage(ILogger logger, string requestId, string tenantId, string keyId, string model, int promptTokens, int cachedTokens, int completionTokens, string outcome, double durationMs);
}
