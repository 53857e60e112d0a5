using Maas.Grains.Abstractions.Models;
using Maas.Grains.Inference.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Worker.Health;

/// <summary>Ready once every configured model's engine has loaded.</summary>
public sealed class ModelsLoadedHealthCheck(ModelReplicaHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var states = host.ModelIds.ToDictionary(m => m, m => (object)host.GetState(m).ToString());
        return Task.FromResult(host.AllReady
            ? HealthCheckResult.Healthy("All models loaded.", states)
            : HealthCheckResult.Unhealthy("Models are loading or failed to load.", data: states));
    }
}
