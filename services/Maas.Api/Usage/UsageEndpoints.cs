using System.Globalization;
using System.Text.Json;
using Maas.Api.Gateway;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;

namespace Maas.Api.Usage;

/// <summary>
/// GET /v1/usage?start=..&amp;end=..&amp;group_by=day,model,key: the calling tenant's usage and cost from the hourly rollups
/// (so times round to whole hours). The tenant comes only from the gateway's signed headers, so a tenant sees its own
/// usage and nobody else's. start and end are Unix seconds or ISO 8601 (end defaults to now); group_by day makes one
/// bucket per UTC day, model and key split each bucket's results.
/// </summary>
public static class UsageEndpoints
{
    public static RouteGroupBuilder MapUsageEndpoints(this RouteGroupBuilder v1)
    {
        v1.MapGet("/usage", HandleAsync);
        return v1;
    }

    private static async Task HandleAsync(HttpContext context, MaasDbContext db, PriceBookCache prices, TimeProvider time)
    {
        var identity = context.GetRequestIdentity();
        var query = context.Request.Query;
        try
        {
            var start = ParseTime(query, "start", "start_time") ?? throw new ApiErrorException(ApiError.Missing("start"));
            var end = ParseTime(query, "end", "end_time") ?? time.GetUtcNow();
            UsageGrouping grouping;
            try
            {
                grouping = UsageReport.ParseGrouping(query["group_by"].ToString());
            }
            catch (BillingException ex)
            {
                throw new ApiErrorException(ApiError.InvalidValue("group_by", ex.Message));
            }

            IReadOnlyList<UsageBucket> rows;
            try
            {
                rows = await UsageReport.QueryAsync(db, identity.TenantId, start, end, grouping, context.RequestAborted);
            }
            catch (BillingException ex)
            {
                throw new ApiErrorException(ApiError.InvalidValue("end", ex.Message));
            }

            var currency = (await prices.GetAsync(context.RequestAborted)).Currency ?? "USD";
            var page = new UsagePage(Buckets(rows, UsageReport.FloorHour(start), UsageReport.CeilingHour(end), grouping.HasFlag(UsageGrouping.Day), currency));
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, page, OpenAiJson.Options, context.RequestAborted);
        }
        catch (ApiErrorException ex)
        {
            await ex.Error.WriteAsync(context);
        }
    }

    /// <summary>Every day of the range is a bucket (empty ones too, as OpenAI's API does); without day grouping, one bucket.</summary>
    private static List<UsageTimeBucket> Buckets(IReadOnlyList<UsageBucket> rows, DateTimeOffset from, DateTimeOffset to, bool byDay, string currency)
    {
        var starts = new List<DateTimeOffset> { from };
        if (byDay)
        {
            for (var day = new DateTimeOffset(from.UtcDateTime.Date, TimeSpan.Zero).AddDays(1); day < to; day = day.AddDays(1))
            {
                starts.Add(day);
            }
        }

        var buckets = new List<UsageTimeBucket>(starts.Count);
        for (var i = 0; i < starts.Count; i++)
        {
            var bucketEnd = i + 1 < starts.Count ? starts[i + 1] : to;
            var results = rows.Where(r => r.Start == starts[i])
                .Select(r => new UsageResult(r.Model, r.KeyId, r.Requests, r.PromptTokens, r.CachedPromptTokens, r.CompletionTokens, new UsageAmount(r.Cost, currency)))
                .ToList();
            buckets.Add(new UsageTimeBucket(starts[i].ToUnixTimeSeconds(), bucketEnd.ToUnixTimeSeconds(), results));
        }

        return buckets;
    }

    private static DateTimeOffset? ParseTime(IQueryCollection query, string name, string alias)
    {
        var (param, text) = query.ContainsKey(name) ? (name, query[name].ToString()) : (alias, query[alias].ToString());
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 253402300799)
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        throw new ApiErrorException(ApiError.InvalidValue(param, $"'{param}' must be Unix seconds or an ISO 8601 date or time, not '{text}'."));
    }
}
