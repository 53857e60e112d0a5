using Prometheus;

namespace Maas.Api.Metrics;

/// <summary>Api request and token metrics (prometheus-net).</summary>
public sealed class ApiMetrics
{
    private static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "maas_api_requests_total", "Generation and model requests by endpoint and HTTP status.", "endpoint", "status");

    private static readonly Gauge Active = Prometheus.Metrics.CreateGauge(
        "maas_api_active_requests", "Requests being served now.", "endpoint");

    private static readonly Histogram TimeToFirstToken = Prometheus.Metrics.CreateHistogram(
        "maas_api_time_to_first_token_seconds", "From request arrival to the first generated token.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 14) });

    private static readonly Histogram InterTokenLatency = Prometheus.Metrics.CreateHistogram(
        "maas_api_inter_token_latency_seconds", "Time between consecutive generated tokens.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

    private static readonly Counter Tokens = Prometheus.Metrics.CreateCounter(
        "maas_api_tokens_total", "Tokens by kind: prompt, cached (prompt tokens served from cache), completion.", "model", "kind");

    public IDisposable TrackActive(string endpoint) => Active.WithLabels(endpoint).TrackInProgress();

    public void RequestFinished(string endpoint, int status) => Requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void FirstToken(string model, TimeSpan elapsed) => TimeToFirstToken.WithLabels(model).Observe(elapsed.TotalSeconds);

    public void NextToken(string model, TimeSpan gap) => InterTokenLatency.WithLabels(model).Observe(gap.TotalSeconds);

    public void TokensUsed(string model, int prompt, int cached, int completion)
    {
        Tokens.WithLabels(model, "prompt").Inc(prompt);
        Tokens.WithLabels(model, "cached").Inc(cached);
        Tokens.WithLabels(model, "completion").Inc(completion);
    }
}
