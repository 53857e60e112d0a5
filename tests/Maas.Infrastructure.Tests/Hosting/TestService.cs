using Maas.Infrastructure.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Infrastructure.Tests.Hosting;

/// <summary>A real Kestrel app on a free loopback port wired exactly as the services wire themselves.</summary>
public sealed class TestService : IAsyncDisposable
{
    private TestService(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public static WebApplication Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null, HealthStatus redisUnreachable = HealthStatus.Unhealthy)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        // Only the settings given: nothing from the developer's environment leaks in.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddMaasServiceDefaults().AddMaasPostgres().AddMaasRedis(redisUnreachable);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapMaasDefaultEndpoints();
        return app;
    }

    public static async Task<TestService> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null, HealthStatus redisUnreachable = HealthStatus.Unhealthy)
    {
        var app = Build(settings, configure, redisUnreachable);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        return new TestService(app, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
