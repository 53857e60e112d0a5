using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Maas.Grains.Abstractions.Models;
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
    public static async Task<int> RunAsync(string[] args)
    {
        var n = int.Parse(Arg(args, "--n") ?? "200", CultureInfo.InvariantCulture);
        var model = Arg(args, "--model") ?? "deepseek-demo";
        var gateway = new Uri(Arg(args, "--gateway") ?? "http://127.0.0.1:8080");
        var orleansGateway = int.Parse(Arg(args, "--orleans-gateway") ?? "30000", CultureInfo.InvariantCulture);
        var key = Arg(args, "--key") ?? File.ReadAllText(Path.Combine(RepositoryRoot(), ".data", "demo.key")).Trim();

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

        var direct = await MeasureAsync(Direct, n);
        var gatewayTimes = await MeasureAsync(ThroughGateway, n);
        Console.WriteLine($"1-token completion, {n} sequential requests each (after 20 warm-up):");
        Print("replica grain directly (Orleans client)", direct);
        Print("through gateway + api (HTTP)", gatewayTimes);
        Console.WriteLine($"added by gateway + api: p50 {Percentile(gatewayTimes, 0.5) - Percentile(direct, 0.5):F2} ms, p99 {Percentile(gatewayTimes, 0.99) - Percentile(direct, 0.99):F2} ms");
        await host.StopAsync();
        return 0;
    }

    private static async Task<double[]> MeasureAsync(Func<int, Task> call, int n)
    {
        for (var i = 0; i < 20; i++)
        {
            await call(-i);
        }

        var times = new double[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static void Print(string label, double[] sorted) =>
        Console.WriteLine($"  {label,-42} p50 {Percentile(sorted, 0.5),7:F2} ms   p99 {Percentile(sorted, 0.99),7:F2} ms");

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Maas.sln not found");
    }
}
