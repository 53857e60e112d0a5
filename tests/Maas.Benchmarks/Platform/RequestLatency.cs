using System.Net.Http.Json;
using Maas.Grains.Abstractions.Models;
using Maas.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// What the gateway and api add to a request: p50/p99 of a 1-token completion sent through the
/// gateway (HTTP, auth, rate limit, signing, api validation, tokenization, admission, grain call)
/// against the same generation asked of the worker's replica grain directly with an Orleans client.
/// Runs against a platform started by `make run`:
///   dotnet run -c Release --project tests/Maas.Benchmarks -- latency [--n 200] [--key sk-...] [--model deepseek-demo]
/// </summary>
public static class RequestLatency
{
    private const int Warmup = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var n = HarnessArguments.Int(args, "--n", 200);
        var model = HarnessArguments.Value(args, "--model") ?? "deepseek-demo";
        var gateway = new Uri(HarnessArguments.Value(args, "--gateway") ?? "http://127.0.0.1:8080");
        var orleansGateway = HarnessArguments.Int(args, "--orleans-gateway", 30000);
        var key = HarnessArguments.Value(args, "--key") ?? File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, ".data", "demo.key")).Trim();

        using var host = Host.CreateDefaultBuilder()
            .UseOrleansClient(client => client.UseLocalhostClustering(orleansGateway, serviceId: "maas", clusterId: "maas"))
            .ConfigureLogging(l => l.ClearProviders())
            .Build();
        await host.StartAsync();
        var replica = host.Services.GetRequiredService<IClusterClient>().GetGrain<IModelReplicaGrain>(ReplicaKey.Format(model, 0));
        int[] prompt = [0, 19923, 11, 6706, 223];

        async Task Direct(int i)
        {
            var command = new GenerateCommand { RequestId = "bench-" + i, TenantId = "bench", PromptTokens = prompt, MaxTokens = 1, IgnoreEos = true };
            await foreach (var _ in replica.GenerateAsync(command))
            {
            }
        }

        using var http = new HttpClient { BaseAddress = gateway };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        async Task ThroughGateway(int i)
        {
            using var response = await http.PostAsJsonAsync("/v1/completions", new { model, prompt = "Pump 7 status", max_tokens = 1, ignore_eos = true });
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }

        var direct = await LatencySamples.MeasureAsync(Direct, Warmup, n);
        var gatewayTimes = await LatencySamples.MeasureAsync(ThroughGateway, Warmup, n);
        Console.WriteLine($"1-token completion, {n} sequential requests each (after {Warmup} warm-up):");
        direct.Print("replica grain directly (Orleans client)");
        gatewayTimes.Print("through gateway + api (HTTP)");
        Console.WriteLine($"added by gateway + api: p50 {gatewayTimes.Percentile(0.5) - direct.Percentile(0.5):F2} ms, p99 {gatewayTimes.Percentile(0.99) - direct.Percentile(0.99):F2} ms");
        await host.StopAsync();
        return 0;
    }
}
