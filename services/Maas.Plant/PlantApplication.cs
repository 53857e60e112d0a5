using Maas.Generation;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using Maas.Plant.Http;
using Maas.Plant.Mqtt;
using Maas.Plant.Responses;
using Maas.Plant.Sparkplug;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Maas.Plant;

/// <summary>
/// Builds the plant service: the MQTT endpoint (<see cref="PlantMqttEndpoint"/>), the requests it runs through the
/// shared generation pipeline as an Orleans client of the cluster, durable metering (usage source plant), Sparkplug B
/// context, and HTTP for GET /plant/v1/responses/{requestId} behind the gateway. Tests build it the same way.
/// </summary>
public static class PlantApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5400";

    /// <summary>The management listener (/metrics, detailed readiness) unless Maas:Management:Url says otherwise.</summary>
    public const int DefaultManagementPort = 5401;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.UseDefaultUrl(DefaultUrl);

        // Rate limits fail open and revocations fall back to the periodic key re-check, so Redis only degrades readiness.
        builder.AddMaasServiceDefaults(DefaultManagementPort).AddMaasPostgres().AddMaasRedis(HealthStatus.Degraded);
        var services = builder.Services;
        services.AddOptions<PlantOptions>().BindConfiguration(PlantOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var plant = builder.Configuration.GetSection(PlantOptions.SectionName).Get<PlantOptions>() ?? new PlantOptions();
        builder.UseOrleansClient(client => client
            .UseLocalhostClustering(plant.OrleansGatewayPort, plant.ServiceId, plant.ClusterId)
            .UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                // The api silo may start after this process (or restart): keep trying.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return true;
            }));

        // Durable metering first: AddMaasGeneration falls back to a log-only sink when no other is registered.
        services.AddMaasMetering();
        services.AddMaasGeneration();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewaySignatureOptions>().BindConfiguration(GatewaySignatureOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<GatewayReplayGuard>();
        services.AddSingleton<GatewayRequestCheck>();
        services.AddOptions<ApiKeyRevocationOptions>().BindConfiguration(ApiKeyRevocationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RedisRequestRateLimiterOptions>().BindConfiguration("Maas:RateLimiter")
            .Validate(o => o.Timeout > TimeSpan.Zero, "Maas:RateLimiter:Timeout must be positive.").ValidateOnStart();
        services.AddSingleton(sp => new ApiKeyRevocation(sp.GetRequiredService<IOptions<ApiKeyRevocationOptions>>().Value.RevocationChannel));
        services.AddSingleton<RedisRequestRateLimiter>();
        services.AddSingleton<PlantKeyCheck>();
        services.AddSingleton<PlantResponseStore>();
        services.AddSingleton<SparkplugContextStore>();
        services.AddSingleton<PlantMqttEndpoint>();
        services.AddSingleton<PlantRequestHandler>();
        services.AddHostedService(sp => sp.GetRequiredService<PlantMqttEndpoint>());
        services.AddSingleton<PlantKeyWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<PlantKeyWatch>());
        services.AddHostedService<PlantResponseMaintenance>();

        var app = builder.Build();
        app.MapMaasDefaultEndpoints();
        app.UseMiddleware<PlantGatewayAuthentication>();
        app.MapResponseEndpoints();
        return app;
    }
}
