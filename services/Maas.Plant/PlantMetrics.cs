using Prometheus;

namespace Maas.Plant;

/// <summary>The plant service's Prometheus metrics (maas_plant_*).</summary>
public static class PlantMetrics
{
    public static readonly Counter Connections = Metrics.CreateCounter("maas_plant_mqtt_connections_total", "MQTT CONNECTs by outcome.", "outcome");

    public static readonly Gauge Connected = Metrics.CreateGauge("maas_plant_mqtt_connected_clients", "MQTT clients connected now.");

    public static readonly Counter Refused = Metrics.CreateCounter("maas_plant_mqtt_refused_total", "Publishes and subscriptions refused (outside the tenant's namespace).", "operation");

    public static readonly Counter Requests = Metrics.CreateCounter("maas_plant_requests_total", "Requests published over MQTT by outcome.", "outcome");

    public static readonly Counter Redeliveries = Metrics.CreateCounter("maas_plant_redeliveries_total", "Stored responses delivered again (duplicate request, reconnecting persistent session).", "reason");

    public static readonly Counter Sparkplug = Metrics.CreateCounter("maas_plant_sparkplug_messages_total", "Sparkplug B messages by outcome.", "outcome");
}
