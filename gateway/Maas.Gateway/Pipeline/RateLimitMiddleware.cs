using System.Globalization;
using Maas.Gateway.Authentication;
using Maas.Gateway.Observability;
using Maas.Gateway.RateLimiting;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Redis;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Pipeline;

/// <summary>
/// Per-key and per-tenant requests-per-minute (GCRA: sliding, bursts up to the limit), counted in Redis so all gateway
/// replicas share them, and in this gateway with its share of the limits while Redis is unreachable
/// (<see cref="GatewayRateLimiter"/>). Adds OpenAI's x-ratelimit-*-requests headers to every authenticated response
/// (reset: until the full limit is back) and answers 429 with Retry-After (until one more request fits).
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, GatewayRateLimiter limiter, IOptions<GatewayOptions> options)
{
    public const string LimitHeader = "x-ratelimit-limit-requests";
    public const string RemainingHeader = "x-ratelimit-remaining-requests";
    public const string ResetHeader = "x-ratelimit-reset-requests";

    /// <summary>Redis keys of the limits (one GCRA state each); "gcra" so no counter of the older fixed-window format is read.</summary>
    public const string KeyPrefix = "maas:gcra:";

    private readonly TimeSpan _window = options.Value.RateLimitWindow;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<ApiKeyIdentity>() is not { } identity)
        {
            await next(context);
            return;
        }

        RateLimitRule[] rules =
        [
            new(KeyPrefix + "key:" + identity.KeyId.ToString("D"), Math.Max(1, identity.EffectiveKeyRequestsPerMinute), _window),
            new(KeyPrefix + "tenant:" + identity.TenantId, Math.Max(1, identity.TenantRequestsPerMinute), _window),
        ];
        var (decision, _) = await limiter.AcquireAsync(rules, context.RequestAborted);

        var tightest = decision.Tightest!;
        var headers = context.Response.Headers;
        headers[LimitHeader] = tightest.Rule.Limit.ToString(CultureInfo.InvariantCulture);
        headers[RemainingHeader] = tightest.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[ResetHeader] = FormatDuration(tightest.ResetAfter);

        if (decision.Allowed)
        {
            await next(context);
            return;
        }

        var exhausted = decision.Counters.Where(c => c.Exhausted).ToArray();
        var scope = exhausted.Any(c => ReferenceEquals(c.Rule, rules[0])) ? "key" : "tenant";
        GatewayMetrics.RateLimited.WithLabels(scope).Inc();
        var retryAfter = Math.Max(1, (long)Math.Ceiling(decision.RetryAfter.TotalSeconds));
        var limit = exhausted.Min(c => c.Rule.Limit);
        await ApiError.Of(
            StatusCodes.Status429TooManyRequests,
            $"Rate limit reached for requests per {(scope == "key" ? "API key" : "organization")}: limit {limit} per {FormatDuration(_window)}. Please try again in {retryAfter}s.",
            "requests",
            "rate_limit_exceeded",
            (int)Math.Min(retryAfter, int.MaxValue)).WriteAsync(context);
    }

    /// <summary>OpenAI's reset format: "850ms", "12s", "1m0s".</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return Math.Max(0, (long)Math.Ceiling(duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var seconds = (long)Math.Ceiling(duration.TotalSeconds);
        return seconds < 60
            ? seconds.ToString(CultureInfo.InvariantCulture) + "s"
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60}s");
    }
}
