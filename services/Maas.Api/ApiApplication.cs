using Maas.Api.Batches;
using Maas.Api.Completions;
using Maas.Api.FineTunes;
using Maas.Api.Gateway;
using Maas.Api.Metrics;
using Maas.Api.Models;
using Maas.Api.Usage;
using Maas.Generation;
using Maas.Grains.Hosting;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Tenancy;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Maas.Api;

/// <summary>
/// Builds the api: the OpenAI-compatible HTTP surface plus an Orleans silo with role "api" (the primary silo
/// for localhost clustering) that hosts the tenancy grains. Tests build it the same way with their own configuration.
/// </summary>
public static class ApiApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5100";

    /// <summary>Loopback port of /metrics and the detailed /health/ready unless Maas:Management:Url says otherwise.</summary>
    public const int DefaultManagementPort = 5101;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.UseDefaultUrl(DefaultUrl);

        // Redis on the request path only checks request ids for replay, falling back to this process's memory: it only degrades readiness.
        builder.AddMaasServiceDefaults(DefaultManagementPort).AddMaasPostgres().AddMaasRedis(HealthStatus.Degraded);
        builder.AddMaasSilo(SiloDefaults.Api, servedModels: []);
        // Durable metering first: AddMaasGeneration falls back to a log-only sink when no other is registered.
        builder.Services.AddMaasMetering();
        builder.Services.AddMaasGeneration();
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);
        builder.Services.AddOptions<GatewaySignatureOptions>().BindConfiguration(GatewaySignatureOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<GatewayReplayGuard>();
        builder.Services.AddSingleton<GatewayRequestCheck>();
        builder.Services.AddSingleton<ApiMetrics>();
        builder.Services.AddOptions<BatchOptions>().BindConfiguration(BatchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BatchStore>();
        builder.Services.AddHttpClient<BatchWebhook>();
        // After the silo (registered by AddMaasSilo above), so grains can be called when it runs.
        builder.Services.AddHostedService<BatchResumer>();
        builder.Services.AddSingleton<FineTuneUnloader>();

        var app = builder.Build();
        app.UseMiddleware<RequestIdMiddleware>();
        app.MapMaasDefaultEndpoints();
        app.UseMiddleware<GatewayAuthenticationMiddleware>();

        var v1 = app.MapGroup("/v1");
        v1.MapModelsEndpoints();
        v1.MapCompletionEndpoints();
        v1.MapUsageEndpoints();
        v1.MapBatchEndpoints();
        v1.MapFineTuneEndpoints();
        return app;
    }
}
