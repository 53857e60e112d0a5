using Prometheus;

namespace Maas.Gateway.Observability;

/// <summary>The gateway's Prometheus series (exposed at /metrics).</summary>
public static class GatewayMetrics
{
    public static readonly Counter Requests = Metrics.CreateCounter(
        "maas_gateway_requests_total",
        "Requests handled by the gateway, by route and response status.",
        new CounterConfiguration { LabelNames = ["route", "status"] });

    public static readonly Counter AuthenticationFailures = Metrics.CreateCounter(
        "maas_gateway_auth_failures_total",
        "Requests refused or failed by API key authentication, by reason.",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter RateLimited = Metrics.CreateCounter(
        "maas_gateway_rate_limited_total",
        "Requests refused with 429, by the scope whose limit was exhausted (key or tenant).",
        new CounterConfiguration { LabelNames = ["scope"] });

    public static readonly Counter RateLimiterUnavailable = Metrics.CreateCounter(
        "maas_gateway_rate_limiter_unavailable_total",
        "Requests counted by this gateway's local limiter (its share of each limit) because Redis could not be reached.");

    public static readonly Counter ApiKeyLookups = Metrics.CreateCounter(
        "maas_gateway_api_key_lookups_total",
        "API key lookups sent to PostgreSQL (cache misses of well-formed keys).");

    public static readonly Counter ApiKeysServedStale = Metrics.CreateCounter(
        "maas_gateway_api_keys_served_stale_total",
        "Requests authenticated with a key verified earlier, past its cache lifetime, because PostgreSQL could not be asked.");

    public static readonly Histogram UpstreamDuration = Metrics.CreateHistogram(
        "maas_gateway_upstream_duration_seconds",
        "Time spent forwarding a request upstream, until the response body has been relayed.",
        new HistogramConfiguration
        {
            LabelNames = ["route"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 20),
        });

    public static readonly Counter RevocationsReceived = Metrics.CreateCounter(
        "maas_gateway_key_revocations_received_total",
        "Key revocation notifications received over Redis pub/sub.");
}
