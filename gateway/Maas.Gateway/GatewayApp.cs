using Maas.Gateway.Authentication;
using Maas.Gateway.Forwarding;
using Maas.Gateway.Pipeline;
using Maas.Gateway.RateLimiting;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Redis;
using Maas.Infrastructure.Tenancy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Maas.Gateway;

/// <summary>
/// Builds the gateway. Program.cs runs it; tests build it with their own configuration and start
/// it on a loopback port of their choosing.
/// </summary>
public static class GatewayApp
{
    /// <summary>Loopback port of /metrics and the detailed /health/ready unless Maas:Management:Url says otherwise.</summary>
    public const int DefaultManagementPort = 8081;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(GatewayApp).Assembly.GetName().Name,
            // appsettings.json sits next to the assembly, also when a test hosts the gateway.
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        // The rate limiter fails open and revocations fall back to the key cache's TTL, so Redis only degrades readiness.
        builder.AddMaasServiceDefaults(DefaultManagementPort).AddMaasPostgres().AddMaasRedis(HealthStatus.Degraded);

        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RedisRequestRateLimiterOptions>()
            .BindConfiguration(RateLimiterOptions.SectionName)
            .Validate(o => o.Timeout > TimeSpan.Zero, "Maas:RateLimiter:Timeout must be positive.")
            .ValidateOnStart();
        services.AddOptions<RateLimiterOptions>()
            .BindConfiguration(RateLimiterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // TryAdd: a test host may bring its own clock (rate-limit windows, signature timestamps).
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GatewaySignatureOptions>()
            .BindConfiguration(GatewaySignatureOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ApiKeyRevocationOptions>()
            .BindConfiguration(ApiKeyRevocationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new GatewaySignature(sp.GetRequiredService<IOptions<GatewaySignatureOptions>>().Value.SigningSecret));
        services.AddSingleton(sp => new ApiKeyRevocation(sp.GetRequiredService<IOptions<ApiKeyRevocationOptions>>().Value.RevocationChannel));
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<RedisRequestRateLimiter>();
        services.AddSingleton<GatewayRateLimiter>();
        services.AddSingleton<FailedAuthenticationLimiter>();
        services.AddHostedService<ApiKeyRevocationSubscriber>();

        services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddTransforms<GatewaySignatureTransformProvider>();

        var app = builder.Build();

        // Anything unforeseen still answers in the OpenAI shape, never with a stack trace.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => ApiError.Of(StatusCodes.Status500InternalServerError, "The gateway failed to handle the request.", "server_error", "internal_error").WriteAsync(context),
        });
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<GatewayHeaderStrippingMiddleware>();
        app.UseMiddleware<RequestMetricsMiddleware>();

        app.MapMaasDefaultEndpoints();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ApiKeyAuthenticationMiddleware>();
            proxy.UseMiddleware<RateLimitMiddleware>();
            proxy.UseMiddleware<RequestBodyLimitMiddleware>();
            proxy.UseMiddleware<ForwarderErrorMiddleware>();
            proxy.UseMiddleware<UpstreamTimingMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        app.MapFallback("{**path}", (HttpContext context) => ApiError.Of(StatusCodes.Status404NotFound, $"Unknown request URL: {context.Request.Method} {context.Request.Path}.", "invalid_request_error", "unknown_url").WriteAsync(context));

        return app;
    }
}
