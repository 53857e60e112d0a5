using Maas.Infrastructure.Hosting;
using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Infrastructure.Tests.Hosting;

/// <summary>A real Kestrel app on a free loopback port wired exactly as the services wire themselves.</summary>
public sealed class TestService : IAsyncDisposable
{
    private TestService(WebApplication app, HttpClient client, HttpClient management)
    {
        App = app;
        Client = client;
        Management = management;
    }

    public WebApplication App { get; }

    /// <summary>The public listener.</summary>
    public HttpClient Client { get; }

    /// <summary>The management listener (/metrics, /health/ready).</summary>
    public HttpClient Management { get; }

    public static WebApplication Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null, HealthStatus redisUnreachable = HealthStatus.Unhealthy)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        // Only the settings given: nothing from the developer's environment leaks in.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        if (!settings.ContainsKey(ManagementOptions.SectionName + ":Url"))
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [ManagementOptions.SectionName + ":Url"] = $"http://127.0.0.1:{FreePort.Next()}" });
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddMaasServiceDefaults(defaultManagementPort: 1).AddMaasPostgres().AddMaasRedis(redisUnreachable);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapMaasDefaultEndpoints();
        return app;
    }

    public static async Task<TestService> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null, HealthStatus redisUnreachable = HealthStatus.Unhealthy)
    {
        var app = Build(settings, configure, redisUnreachable);
        await app.StartAsync();
        var management = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ManagementOptions>>().Value.Url;
        var managementPort = new Uri(management).Port;
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First(u => new Uri(u).Port != managementPort)), Timeout = TimeSpan.FromSeconds(30) };
        return new TestService(app, client, new HttpClient { BaseAddress = new Uri(management), Timeout = TimeSpan.FromSeconds(30) });
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Management.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
