using Maas.Api.Completions;
using Maas.Api.Gateway;
using Maas.Api.Metrics;
using Maas.Api.Models;
using Maas.Api.Replicas;
using Maas.Api.Usage;
using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Maas.Api;

/// <summary>
/// Builds the api: the OpenAI-compatible HTTP surface plus an Orleans silo with role "api"
/// (the primary silo for localhost clustering). Tests build it the same way with their own configuration.
/// </summary>
public static class ApiApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5100";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddApiHosting();
        builder.Services.AddMaasModelCatalog();
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServedModelCatalog>();
        builder.Services.AddHostedService<ModelCatalogRefresher>();
        builder.Services.AddSingleton<ReplicaSelector>();
        builder.Services.AddSingleton<ApiMetrics>();
        builder.Services.AddSingleton<IUsageSink, LoggingUsageSink>();
        builder.Services.AddSingleton<GenerationService>();

        var orleans = builder.Configuration.GetSection(OrleansHostingOptions.SectionName).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        orleans.SiloPort = orleans.SiloPort == 0 ? DefaultSiloPort : orleans.SiloPort;
        orleans.GatewayPort = orleans.GatewayPort == 0 ? DefaultGatewayPort : orleans.GatewayPort;
        if (builder.Configuration[$"{OrleansHostingOptions.SectionName}:PrimarySiloEndpoint"] is null)
        {
            // The api silo is the primary of localhost clustering unless told otherwise.
            orleans.PrimarySiloEndpoint = $"127.0.0.1:{orleans.SiloPort}";
        }

        builder.UseOrleans(silo => silo.UseMaasClustering(orleans).AddMaasGrains(SiloRoles.Api, []));

        var app = builder.Build();
        app.UseMiddleware<RequestIdMiddleware>();
        app.MapApiDefaultEndpoints();
        app.UseMiddleware<GatewayAuthenticationMiddleware>();

        var v1 = app.MapGroup("/v1");
        v1.MapModelsEndpoints();
        v1.MapChatCompletionsEndpoint();
        v1.MapCompletionsEndpoint();
        return app;
    }
}
