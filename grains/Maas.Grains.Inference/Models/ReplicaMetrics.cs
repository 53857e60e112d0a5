using Maas.Engine.Kernels;
using Prometheus;

namespace Maas.Grains.Inference.Models;

/// <summary>Worker engine metrics: sequences in the batch, sequences queued, tokens generated, load progress, kernel paths.</summary>
public sealed class ReplicaMetrics
{
    private static readonly Gauge BatchSequences = Metrics.CreateGauge(
        "maas_worker_batch_sequences", "Sequences in the running continuous batch.", "model");

    private static readonly Gauge QueuedSequences = Metrics.CreateGauge(
        "maas_worker_queued_sequences", "Sequences waiting for a batch slot.", "model");

    private static readonly Gauge ModelReady = Metrics.CreateGauge(
        "maas_worker_model_ready", "1 when the model's engine is loaded on this worker.", "model");

    private static readonly Counter TokensGenerated = Metrics.CreateCounter(
        "maas_worker_tokens_generated_total", "Completion tokens generated.", "model");

    private static readonly Counter Sequences = Metrics.CreateCounter(
        "maas_worker_sequences_total", "Sequences finished, by finish reason.", "model", "finish");

    private static readonly Histogram StepSequences = Metrics.CreateHistogram(
        "maas_worker_step_sequences", "Sequences in each engine step (continuous batch size).",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 64] });

    private static readonly Histogram StepTokens = Metrics.CreateHistogram(
        "maas_worker_step_tokens", "Tokens in each engine step (prefill chunks plus decode tokens).",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(1, 2, 12) });

    private static readonly Gauge LoadFraction = Metrics.CreateGauge(
        "maas_worker_model_load_progress", "Fraction of the model's checkpoint read and converted (1 once loaded).", "model");

    private static readonly Gauge KernelPath = Metrics.CreateGauge(
        "maas_worker_kernel_path", "1 for the code path each kernel family of the model's engine runs (family simd is the instruction-set level).",
        "model", "family", "path");

    private int _observing;

    /// <summary>Samples engine occupancy when Prometheus scrapes, so the numbers are current without a timer.</summary>
    public void Observe(ModelReplicaHost host)
    {
        if (Interlocked.Exchange(ref _observing, 1) == 1)
        {
            return;
        }

        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var model in host.ModelIds)
            {
                var generator = host.TryGetLoaded(model);
                ModelReady.WithLabels(model).Set(generator is null ? 0 : 1);
                BatchSequences.WithLabels(model).Set(generator?.ActiveSequences ?? 0);
                QueuedSequences.WithLabels(model).Set(generator?.QueuedSequences ?? 0);
            }
        });
    }

    /// <summary>An engine step observer for one model; the labelled series are looked up once, not per step.</summary>
    public static Action<int, int> StepObserver(string model)
    {
        var sequences = StepSequences.WithLabels(model);
        var tokens = StepTokens.WithLabels(model);
        return (s, t) =>
        {
            sequences.Observe(s);
            tokens.Observe(t);
        };
    }

    public static void LoadProgress(string model, double fraction) => LoadFraction.WithLabels(model).Set(fraction);

    public static void Kernels(string model, KernelPaths paths)
    {
        KernelPath.WithLabels(model, "simd", SimdSupport.Name(paths.Level)).Set(1);
        foreach (var family in new[] { "f32", "bf16", "fp8", "attention" })
        {
            KernelPath.WithLabels(model, family, paths.Float).Set(1);
        }

        KernelPath.WithLabels(model, "q8", paths.Q8).Set(1);
    }

    public void TokenGenerated(string model) => TokensGenerated.WithLabels(model).Inc();

    public void SequenceFinished(string model, string finish) => Sequences.WithLabels(model, finish).Inc();
}
