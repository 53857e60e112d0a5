using Maas.Infrastructure.Metering;

namespace Maas.Infrastructure.Tests.Metering;

/// <summary>Usage records for tests, with whole-microsecond UTC times as the pipeline makes them.</summary>
public static class UsageRecords
{
    public static UsageRecord Of(
        string requestId,
        string tenant = "tenant-a",
        string key = "key-1",
        string model = "model-a",
        int prompt = 100,
        int cached = 0,
        int completion = 10,
        DateTimeOffset? receivedAt = null,
        UsageSource source = UsageSource.Api,
        UsageFinishReason finish = UsageFinishReason.Stop)
    {
        var received = UsageRecord.Microseconds(receivedAt ?? DateTimeOffset.UtcNow);
        return new UsageRecord
        {
            RequestId = requestId,
            TenantId = tenant,
            KeyId = key,
            Model = model,
            WeightsDigest = "sha256:" + new string('a', 64),
            Source = source,
            Endpoint = "chat.completions",
            PromptTokens = prompt,
            CachedPromptTokens = cached,
            CompletionTokens = completion,
            ReceivedAt = received,
            FirstTokenAt = received.AddMilliseconds(20),
            FinishedAt = received.AddMilliseconds(120),
            FinishReason = finish,
        };
    }
}
