using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// Issue 16's done-when figure: how long another tenant's 1-token request takes while one tenant floods the platform
/// with 100 requests in flight and 8 bodies of 1 MB of '&lt;' in flight, against the same request on an idle platform.
/// Starts its own gateway, api and worker processes (from their Release build output) on a fresh database of the
/// deps.sh PostgreSQL and Redis, the worker serving a random checkpoint (tiny 2-layer by default, or --model-path):
///   dotnet run -c Release --project tests/Maas.Benchmarks -- fairness [--n 100] [--flood 100] [--bodies 8]
///     [--flood-tokens 64] [--model-path folder]
/// </summary>
public static class TenantFairness
{
    private const string Model = "fairness-model";
    private const int BodyBytes = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var n = HarnessArguments.Int(args, "--n", 100);
        var floodRequests = HarnessArguments.Int(args, "--flood", 100);
        var bodies = HarnessArguments.Int(args, "--bodies", 8);
        var floodTokens = HarnessArguments.Int(args, "--flood-tokens", 64);
        var modelPath = HarnessArguments.Value(args, "--model-path");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var temporary = modelPath is null ? Path.Combine(Path.GetTempPath(), "maas-fairness-" + suffix) : null;
        if (temporary is not null)
        {
            RandomCheckpointWriter.Write(temporary, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 5);
        }

        var processes = new List<ServiceProcess>();
        await using var database = await PostgresTestDatabase.CreateAsync();
        try
        {
            await TestPrices.SeedAsync(database, Model);
            var flooder = await CreateTenantAsync(database, "flooder-" + suffix, floodRequests + bodies);
            var other = await CreateTenantAsync(database, "other-" + suffix, 4);

            var apiSilo = FreePort.Next();
            Dictionary<string, string> Silo(int siloPort) => new()
            {
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
                ["Maas:Orleans:ClusterId"] = "fairness-" + suffix,
                ["Maas:Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
                ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{apiSilo}",
                ["Maas:Models:0:Id"] = Model,
                ["Maas:Models:0:Path"] = modelPath ?? temporary!,
            };
            const string secret = "fairness-signing-secret-0123456789abcdef";
            var apiSettings = Silo(apiSilo);
            apiSettings["Maas:Gateway:SigningSecret"] = secret;
            apiSettings["Maas:Metering:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "maas-fairness-spill-" + suffix);
            var ready = TimeSpan.FromMinutes(5);
            var api = await ServiceProcess.StartAsync("services", "Maas.Api", apiSettings, ready);
            processes.Add(api);
            processes.Add(await ServiceProcess.StartAsync("services", "Maas.Worker", Silo(FreePort.Next()), ready));
            var gateway = await ServiceProcess.StartAsync("gateway", "Maas.Gateway", new Dictionary<string, string>
            {
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
                ["Maas:Gateway:SigningSecret"] = secret,
                ["Maas:Gateway:MaxRequestBodyBytes"] = (2 * BodyBytes).ToString(CultureInfo.InvariantCulture),
                ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = api.Address.ToString(),
            }, ready);
            processes.Add(gateway);

            using var probe = Client(gateway.Address, other, TimeSpan.FromMinutes(2));
            async Task OneToken(int i)
            {
                using var response = await probe.PostAsJsonAsync("/v1/chat/completions", new { model = Model, max_tokens = 1, messages = new[] { new { role = "user", content = "Is pump 7 running?" } } });
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            }

            // The api learns the replica grain from the cluster once the worker joined: wait for the first success.
            var joined = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (true)
            {
                using var response = await probe.PostAsJsonAsync("/v1/chat/completions", new { model = Model, max_tokens = 1, messages = new[] { new { role = "user", content = "ping" } } });
                if (response.IsSuccessStatusCode)
                {
                    break;
                }

                if (DateTime.UtcNow > joined)
                {
                    throw new InvalidOperationException($"The platform never served a request: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(500);
            }

            var idle = await LatencySamples.MeasureAsync(OneToken, 10, n);

            // The flood: requests kept in flight until the measurement ends, each sent again as soon as it returns.
            using var stop = new CancellationTokenSource();
            using var floodClient = Client(gateway.Address, flooder, Timeout.InfiniteTimeSpan);
            var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var lessThan = Encoding.UTF8.GetBytes("{\"model\":\"" + Model + "\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('<', BodyBytes) + "\"}]}");
            async Task Loop(Func<CancellationToken, Task<HttpResponseMessage>> send)
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await send(stop.Token);
                        var body = await response.Content.ReadAsStringAsync(stop.Token);
                        var outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                        if (!response.IsSuccessStatusCode && body.Contains("\"code\"", StringComparison.Ordinal))
                        {
                            using var error = System.Text.Json.JsonDocument.Parse(body);
                            outcome += " " + error.RootElement.GetProperty("error").GetProperty("code").GetString();
                        }

                        statuses.AddOrUpdate(outcome, 1, (_, c) => c + 1);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                    }
                }
            }

            var flood = Enumerable.Range(0, floodRequests)
                .Select(_ => Task.Run(() => Loop(ct => floodClient.PostAsJsonAsync("/v1/chat/completions",
                    new { model = Model, max_tokens = floodTokens, ignore_eos = true, messages = new[] { new { role = "user", content = "Write the shift report for line 3." } } }, ct))))
                .Concat(Enumerable.Range(0, bodies).Select(_ => Task.Run(() => Loop(ct =>
                {
                    var content = new ByteArrayContent(lessThan);
                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    return floodClient.PostAsync("/v1/chat/completions", content, ct);
                }))))
                .ToArray();

            // Let the flood fill the batch and the queue before measuring.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var flooded = await LatencySamples.MeasureAsync(OneToken, 0, n);
            await stop.CancelAsync();
            await Task.WhenAll(flood);

            Console.WriteLine($"Another tenant's 1-token chat completion through gateway + api + worker, {n} sequential requests ({Environment.ProcessorCount} cores):");
            idle.Print("idle platform");
            flooded.Print($"one tenant floods: {floodRequests} x {floodTokens}-token requests and {bodies} x 1 MB '<' bodies in flight");
            foreach (var process in processes)
            {
                var log = Path.Combine(Path.GetTempPath(), $"maas-fairness-{suffix}-{process.Name}.log");
                await File.WriteAllTextAsync(log, process.Output);
                Console.WriteLine($"{process.Name} output: {log}");
            }

            Console.WriteLine("flood responses by status and code: " + string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}: {s.Value}")));
            return 0;
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                await process.DisposeAsync();
            }

            if (temporary is not null)
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    private static HttpClient Client(Uri gateway, string secret, TimeSpan timeout)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = gateway, Timeout = timeout };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        return http;
    }

    private static async Task<string> CreateTenantAsync(PostgresTestDatabase database, string id, int concurrency)
    {
        await using var db = database.CreateContext();
        await new TenantRegistry(db).CreateAsync(id, id, [], concurrency, requestsPerMinute: 1_000_000, CancellationToken.None);
        var key = await new ApiKeyRegistry(db).CreateAsync(id, "fairness", requestsPerMinute: null, CancellationToken.None);
        return key.Secret;
    }
}
