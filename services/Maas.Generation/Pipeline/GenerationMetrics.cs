using Prometheus;

namespace Maas.Generation.Pipeline;

/// <summary>
/// Token and latency metrics of the generation pipeline (prometheus-net). The names keep their "maas_api_" prefix
/// from when only the api generated; every process that runs the pipeline exports them.
/// </summary>
public sealed class GenerationMetrics
{
    private static readonly Histogram TimeToFirstToken = Metrics.CreateHistogram(
        "maas_api_time_to_first_token_seconds", "From request arrival to the first generated token.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.01, 2, 14) });

    private static readonly Histogram InterTokenLatency = Metrics.CreateHistogram(
        "maas_api_inter_token_latency_seconds", "Time between consecutive generated tokens.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

    private static readonly Counter Tokens = Metrics.CreateCounter(
        "maas_api_tokens_total", "Tokens by kind: prompt, cached (prompt tokens served from cache), completion.", "model", "kind");

    public void FirstToken(string model, TimeSpan elapsed) => TimeToFirstToken.WithLabels(model).Observe(elapsed.TotalSeconds);

    public void NextToken(string model, TimeSpan gap) => InterTokenLatency.WithLabels(model).Observe(gap.TotalSeconds);

    public void TokensUsed(string model, int prompt, int cached, int completion)
    {
        Tokens.WithLabels(model, "prompt").Inc(prompt);
        Tokens.WithLabels(model, "cached").Inc(cached);
        Tokens.WithLabels(model, "completion").Inc(completion);
    }
}
