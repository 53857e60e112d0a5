using System.Net;
using System.Net.Http.Headers;
using Maas.Gateway;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.Extensions.Configuration;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// `gateway`: the latency the gateway alone adds to a tiny request. p50/p99 of GET /v1/models sent straight to a
/// <see cref="StaticUpstream"/> against the same request through the real gateway (built in-process by
/// <see cref="GatewayApp"/>: key lookup, Redis rate limit, header stripping and signing, YARP forwarding), each on
/// loopback, one request at a time. Needs PostgreSQL and Redis (`make deps`; MAAS_POSTGRES / MAAS_REDIS override them)
/// and uses a throw-away database:
///   dotnet run -c Release --project tests/Maas.Benchmarks -- gateway [--n 400] [--warmup 50]
/// </summary>
public static class GatewayOverhead
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = HarnessArguments.Int(args, "--n", 400);
        var warmup = HarnessArguments.Int(args, "--warmup", 50);

        await using var database = await PostgresTestDatabase.CreateAsync();
        string secret;
        await using (var db = database.CreateContext())
        {
            // Limits far above what one sequential client can send, so no request is refused.
            await new TenantRegistry(db).CreateAsync("bench", "Gateway overhead", allowedModels: [], maxConcurrentRequests: 64, requestsPerMinute: 1_000_000, CancellationToken.None);
            secret = (await new ApiKeyRegistry(db).CreateAsync("bench", "gateway-overhead", requestsPerMinute: null, CancellationToken.None)).Secret;
        }

        await using var upstream = await StaticUpstream.StartAsync();
        var gateway = GatewayApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
                ["Maas:Gateway:SigningSecret"] = "gateway-overhead-signing-secret-0123456789",
                ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = upstream.BaseAddress.ToString(),
                ["Maas:Management:Url"] = $"http://127.0.0.1:{FreePort.Next()}",

                // The gateway adds its own console logger (service defaults); only warnings should reach the report.
                ["Logging:LogLevel:Default"] = "Warning",
            });
        });
        gateway.Urls.Add("http://127.0.0.1:0");
        await gateway.StartAsync();
        try
        {
            var gatewayAddress = gateway.ListeningAddress();
            using var direct = NewClient(upstream.BaseAddress, secret: null);
            using var throughGateway = NewClient(gatewayAddress, secret);

            var straight = await LatencySamples.MeasureAsync(_ => GetModelsAsync(direct), warmup, count);
            var viaGateway = await LatencySamples.MeasureAsync(_ => GetModelsAsync(throughGateway), warmup, count);

            Console.WriteLine($"GET /v1/models, {count} sequential requests each (after {warmup} warm-up), loopback:");
            straight.Print("upstream directly");
            viaGateway.Print("through the gateway");
            Console.WriteLine($"added by the gateway: p50 {viaGateway.Percentile(0.5) - straight.Percentile(0.5):F3} ms, p99 {viaGateway.Percentile(0.99) - straight.Percentile(0.99):F3} ms");
            return 0;
        }
        finally
        {
            await gateway.StopAsync();
            await gateway.DisposeAsync();
        }
    }

    private static async Task GetModelsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v1/models");
        await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // A refused or failed request measures the wrong path; stop rather than print a misleading number.
            throw new InvalidOperationException($"GET /v1/models answered {(int)response.StatusCode}; the measurement needs every request to succeed.");
        }
    }

    private static HttpClient NewClient(Uri baseAddress, string? secret)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = baseAddress };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        return client;
    }
}
