using Maas.Infrastructure.Metering;

namespace Maas.Portal.Tests;

/// <summary>The usage records the fixture writes through the real metering sink, and what the chart must show for them.</summary>
public static class SeededUsage
{
    public const string ModelA = "model-a";
    public const string ModelB = "model-b";

    /// <summary>Days of usage ending today (UTC): model-a every day, model-b every other day.</summary>
    public const int Days = 6;

    /// <summary>
    /// acme's records: model-a 3 requests a day, model-b 2 requests on days 0, 2 and 4 back from today. Today's records
    /// are a few minutes old (never before this month's start, so this month always has usage).
    /// </summary>
    public static IReadOnlyList<UsageRecord> For(string tenant, string keyId, DateTimeOffset now)
    {
        var records = new List<UsageRecord>();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        for (var d = 0; d < Days; d++)
        {
            var at = d == 0 ? Max(now.AddMinutes(-5), monthStart) : today.AddDays(-d).AddHours(10);
            for (var r = 0; r < 3; r++)
            {
                records.Add(Record(tenant, keyId, ModelA, 20_000 + 1_000 * d, 5_000, 8_000 + 500 * d, at.AddSeconds(r)));
            }

            if (d % 2 == 0)
            {
                for (var r = 0; r < 2; r++)
                {
                    records.Add(Record(tenant, keyId, ModelB, 50_000, 0, 30_000, at.AddSeconds(10 + r)));
                }
            }
        }

        return records;
    }

    public static UsageRecord Record(string tenant, string keyId, string model, int prompt, int cached, int completion, DateTimeOffset at)
    {
        var received = UsageRecord.Microseconds(at);
        return new UsageRecord
        {
            RequestId = "req_" + Guid.NewGuid().ToString("N")[..24],
            TenantId = tenant,
            KeyId = keyId,
            Model = model,
            WeightsDigest = "sha256:" + new string('b', 64),
            Endpoint = "chat.completions",
            PromptTokens = prompt,
            CachedPromptTokens = cached,
            CompletionTokens = completion,
            ReceivedAt = received,
            FirstTokenAt = received.AddMilliseconds(30),
            FinishedAt = received.AddMilliseconds(400),
            FinishReason = UsageFinishReason.Stop,
        };
    }

    /// <summary>What one chart segment must say: tokens of a class for a model on a UTC day ("yyyy-MM-dd").</summary>
    public static Dictionary<(string Day, string Model, string Class), long> ExpectedSegments(IEnumerable<UsageRecord> records) =>
        records
            .SelectMany(r => new[]
            {
                (Key: (Day(r.ReceivedAt), r.Model, "input_cache_miss"), Tokens: (long)(r.PromptTokens - r.CachedPromptTokens)),
                (Key: (Day(r.ReceivedAt), r.Model, "input_cache_hit"), Tokens: (long)r.CachedPromptTokens),
                (Key: (Day(r.ReceivedAt), r.Model, "output"), Tokens: (long)r.CompletionTokens),
            })
            .GroupBy(x => x.Key)
            .ToDictionary(g => g.Key, g => g.Sum(x => x.Tokens));

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
