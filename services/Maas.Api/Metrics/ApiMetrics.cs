using Prometheus;

namespace Maas.Api.Metrics;

/// <summary>Api HTTP request metrics (prometheus-net); token and latency metrics are the pipeline's (<see cref="Generation.Pipeline.GenerationMetrics"/>).</summary>
public sealed class ApiMetrics
{
    private static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "maas_api_requests_total", "Generation and model requests by endpoint and HTTP status.", "endpoint", "status");

    private static readonly Gauge Active = Prometheus.Metrics.CreateGauge(
        "maas_api_active_requests", "Requests being served now.", "endpoint");

    public IDisposable TrackActive(string endpoint) => Active.WithLabels(endpoint).TrackInProgress();

    public void RequestFinished(string endpoint, int status) => Requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
}
