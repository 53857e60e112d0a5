using Prometheus;

namespace Maas.Grains.Inference.FineTunes;

/// <summary>Worker metrics of tenant fine-tunes: loaded fine-tunes and their bytes, shard activations, load time.</summary>
internal static class ExpertShardMetrics
{
    private static readonly Gauge Loaded = Metrics.CreateGauge(
        "maas_worker_fine_tunes_loaded", "Tenant fine-tune versions whose replacement experts this worker holds.");

    private static readonly Gauge Bytes = Metrics.CreateGauge(
        "maas_worker_fine_tune_bytes", "Native bytes of the replacement experts this worker holds.");

    private static readonly Counter Activations = Metrics.CreateCounter(
        "maas_worker_fine_tune_loads_total", "Fine-tune expert loads (a shard activated for a request), by outcome.", "outcome");

    private static readonly Counter Unloads = Metrics.CreateCounter(
        "maas_worker_fine_tune_unloads_total", "Fine-tune experts unloaded, by reason (idle, deleted, deactivated).", "reason");

    private static readonly Histogram LoadSeconds = Metrics.CreateHistogram(
        "maas_worker_fine_tune_load_seconds", "Time to load a fine-tune's experts (validate, read, convert).",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 14) });

    public static void Held(int count, long bytes)
    {
        Loaded.Set(count);
        Bytes.Set(bytes);
    }

    public static void LoadSucceeded(TimeSpan elapsed)
    {
        Activations.WithLabels("loaded").Inc();
        LoadSeconds.Observe(elapsed.TotalSeconds);
    }

    public static void LoadFailed() => Activations.WithLabels("failed").Inc();

    public static void Unloaded(string reason) => Unloads.WithLabels(reason).Inc();
}
