using System.Net;
using Maas.Gateway.Authentication;
using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maas.Gateway.Tests.Support;

/// <summary>The real gateway on a free loopback port, with test configuration layered over appsettings.json.</summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    public const string SigningSecret = "test-signing-secret-0123456789";

    private GatewayInstance(WebApplication app, Uri baseAddress, Uri managementAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Client = NewClient(baseAddress);
        Management = NewClient(managementAddress);
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>The tenant-facing listener.</summary>
    public HttpClient Client { get; }

    /// <summary>The management listener: /metrics and the detailed /health/ready.</summary>
    public HttpClient Management { get; }

    /// <summary>
    /// Starts a gateway against <paramref name="postgres"/>, the test Redis and <paramref name="upstream"/>; <paramref name="overrides"/> win.
    /// With a <paramref name="clock"/>, the gateway's time (rate-limit windows, signature timestamps) is that clock's.
    /// </summary>
    public static async Task<GatewayInstance> StartAsync(string postgres, EchoUpstream upstream, IDictionary<string, string?>? overrides = null, TimeProvider? clock = null)
    {
        var managementPort = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["Maas:Management:Url"] = $"http://127.0.0.1:{managementPort}",
            ["ConnectionStrings:Postgres"] = postgres,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = upstream.BaseAddress.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            // Two shared cores: a slow Redis answer must not fall back to local counting and make counting tests flaky.
            ["Maas:RateLimiter:Timeout"] = "00:00:05",
            // Every test client comes from 127.0.0.1; tests of the per-address limit set their own.
            ["Maas:Gateway:FailedAuthenticationsPerMinute"] = "10000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }
        });
        app.Urls.Add("http://127.0.0.1:0");
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new GatewayInstance(app, app.ListeningAddress(), app.ManagementAddress());
    }

    /// <summary>Waits until the revocation subscription is live, so a published notice cannot be missed.</summary>
    public Task RevocationSubscriptionReady() =>
        App.Services.GetServices<IHostedService>().OfType<ApiKeyRevocationSubscriber>().Single().Subscribed.WaitAsync(TimeSpan.FromSeconds(10));

    public static HttpClient NewClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Management.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
