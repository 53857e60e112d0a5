using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Protocol;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// The plant integrations on real processes (worker, api, Maas.Plant, gateway; a tiny random checkpoint, fresh database):
/// (1) MQTT round-trip overhead: publish → response at an MQTTnet client, less the pipeline's own span for that request
///     (its usage record's received_at, the claim, to finished_at), p50/p99, one request at a time;
/// (2) messages/s with 100 connected plants: Sparkplug B DDATA ingest (QoS 1, each client waiting for its PUBACK), and
///     request/response round trips (max_tokens 1) with all 100 plants asking at once;
/// (3) batch vs interactive on the same worker: interactive streaming requests over MQTT alone (tokens/s, TPOT), then the
///     same while a batch runs (interactive TPOT, batch tokens/s).
///   dotnet run -c Release --project tests/Maas.Benchmarks -- plant [--requests 200] [--plants 100] [--seconds 10]
/// </summary>
public static class PlantThroughput
{
    private const string Model = "bench-plant";
    private const string Secret = "bench-plant-signing-secret-0123456789";

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = HarnessArguments.Int(args, "--requests", 200);
        var plants = HarnessArguments.Int(args, "--plants", 100);
        var seconds = HarnessArguments.Int(args, "--seconds", 10);

        using var checkpoint = new TemporaryFolder("maas-bench-plant-");
        using var spill = new TemporaryFolder("maas-bench-plant-spill-");
        RandomCheckpointWriter.Write(checkpoint.Path, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 5);
        await using var database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(database, Model);
        var tenant = "bench-plant";
        string key;
        await using (var db = database.CreateContext())
        {
            await new TenantRegistry(db).CreateAsync(tenant, tenant, [], maxConcurrentRequests: 512, requestsPerMinute: 1_000_000, CancellationToken.None);
            key = (await new ApiKeyRegistry(db).CreateAsync(tenant, "bench", requestsPerMinute: null, CancellationToken.None)).Secret;
        }

        var cluster = "bench-plant-" + Guid.NewGuid().ToString("N")[..6];
        int workerSilo = FreePort.Next(), workerGateway = FreePort.Next(), mqttPort = FreePort.Next();
        Dictionary<string, string> Silo(int silo, int gateway) => new()
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:ClusterId"] = cluster,
            ["Maas:Orleans:SiloPort"] = silo.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{workerSilo}",
            ["Maas:Models:0:Id"] = Model,
            ["Maas:Models:0:Path"] = checkpoint.Path,
            ["Maas:Gateway:SigningSecret"] = Secret,
            ["Maas:Metering:SpillDirectory"] = Path.Combine(spill.Path, silo.ToString(CultureInfo.InvariantCulture)),
        };

        var ready = TimeSpan.FromMinutes(5);
        await using var worker = await ServiceProcess.StartAsync("services", "Maas.Worker", Silo(workerSilo, workerGateway), ready);
        await using var api = await ServiceProcess.StartAsync("services", "Maas.Api", Silo(FreePort.Next(), FreePort.Next()), ready);
        var plantSettings = new Dictionary<string, string>(Silo(0, 0).Where(s => !s.Key.StartsWith("Maas:Orleans", StringComparison.Ordinal)))
        {
            ["Maas:Plant:MqttPort"] = mqttPort.ToString(CultureInfo.InvariantCulture),
            ["Maas:Plant:OrleansGatewayPort"] = workerGateway.ToString(CultureInfo.InvariantCulture),
            ["Maas:Plant:ClusterId"] = cluster,
            ["Maas:Plant:SparkplugTenants:0"] = tenant,
            ["Maas:Plant:MaxConcurrentGenerations"] = "256",
        };
        await using var plant = await ServiceProcess.StartAsync("services", "Maas.Plant", plantSettings, ready);
        await using var gateway = await ServiceProcess.StartAsync("gateway", "Maas.Gateway", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = Secret,
            ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = api.Address.ToString(),
        }, ready);

        Console.WriteLine($"plant benchmark: tiny random checkpoint (2 layers), {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        await using var asker = await Plant.ConnectAsync(mqttPort, key, tenant, "bench-asker");

        // (1) round-trip overhead
        var totals = new Dictionary<string, double>();
        for (var i = -20; i < requests; i++)
        {
            var id = $"rt-{i + 20}";
            var start = Stopwatch.GetTimestamp();
            await asker.AskAsync(id, Request(maxTokens: 1, stream: false));
            if (i >= 0)
            {
                totals[$"plant:{tenant}:{id}"] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        Dictionary<string, double> pipeline;
        await using (var db = database.CreateContext())
        {
            var ids = totals.Keys.ToList();
            pipeline = (await db.UsageEvents.AsNoTracking().Where(u => ids.Contains(u.RequestId)).Select(u => new { u.RequestId, u.ReceivedAt, u.FinishedAt }).ToListAsync())
                .ToDictionary(u => u.RequestId, u => (u.FinishedAt - u.ReceivedAt).TotalMilliseconds);
        }

        Console.WriteLine($"== MQTT round trip, one request at a time, max_tokens 1 ({totals.Count} requests)");
        Print("publish → response", totals.Values);
        Print("pipeline span (claim → usage record)", pipeline.Values);
        Print("overhead (round trip − pipeline)", totals.Select(t => t.Value - pipeline[t.Key]));

        // (2) 100 connected plants
        var clients = new List<Plant>();
        for (var i = 0; i < plants; i++)
        {
            clients.Add(await Plant.ConnectAsync(mqttPort, key, tenant, $"bench-plant-{i}"));
        }

        var births = clients.Select((c, i) => c.PublishAsync($"spBv1.0/Bench/NBIRTH/node{i}", SparkplugPayload(0, ("bdSeq", 0), ("Speed", 1)))).ToArray();
        await Task.WhenAll(births);
        var ingested = 0L;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var ingestTime = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
        {
            ulong seq = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                seq = (seq + 1) % 256;
                await c.PublishAsync($"spBv1.0/Bench/NDATA/node{i}", SparkplugPayload(seq, ("Speed", (long)seq)));
                Interlocked.Increment(ref ingested);
            }
        })));
        Console.WriteLine($"== {plants} connected plants");
        Console.WriteLine($"  Sparkplug B NDATA ingest (QoS 1, acknowledged)  {ingested / ingestTime.Elapsed.TotalSeconds,8:F0} messages/s");

        var perPlant = Math.Max(1, requests / plants * 2);
        var roundTrips = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
        {
            for (var j = 0; j < perPlant; j++)
            {
                await c.AskAsync($"many-{i}-{j}", Request(maxTokens: 1, stream: false));
            }
        })));
        Console.WriteLine($"  request → response, max_tokens 1, all at once  {plants * perPlant / roundTrips.Elapsed.TotalSeconds,8:F1} round trips/s ({plants * perPlant} requests)");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        // (3) batch vs interactive
        const int Interactive = 4, Tokens = 64, BatchLines = 96;
        Console.WriteLine($"== batch vs interactive on one worker ({Interactive} interactive streams of {Tokens} tokens; batch of {BatchLines} lines x {Tokens} tokens)");
        var alone = await InteractiveAsync(asker, "alone", Interactive, Tokens);
        Console.WriteLine($"  interactive alone      {alone.TokensPerSecond,8:F1} tokens/s   TPOT p50 {alone.Tpot.Percentile(0.5),7:F2} ms  p99 {alone.Tpot.Percentile(0.99),7:F2} ms");

        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var batchId = await CreateBatchAsync(http, BatchLines, Tokens);
        while ((await BatchAsync(http, batchId)).GetProperty("request_counts").GetProperty("completed").GetInt32() < 2)
        {
            await Task.Delay(100);
        }

        var during = await InteractiveAsync(asker, "during", Interactive, Tokens);
        Console.WriteLine($"  interactive with batch {during.TokensPerSecond,8:F1} tokens/s   TPOT p50 {during.Tpot.Percentile(0.5),7:F2} ms  p99 {during.Tpot.Percentile(0.99),7:F2} ms");
        while ((await BatchAsync(http, batchId)).GetProperty("status").GetString() is not ("completed" or "failed"))
        {
            await Task.Delay(250);
        }

        await using (var db = database.CreateContext())
        {
            var lines = await db.UsageEvents.AsNoTracking().Where(u => u.RequestId.StartsWith("batch:" + batchId + ":")).Select(u => new { u.ReceivedAt, u.FinishedAt, u.CompletionTokens }).ToListAsync();
            var span = (lines.Max(l => l.FinishedAt) - lines.Min(l => l.ReceivedAt)).TotalSeconds;
            Console.WriteLine($"  batch                  {lines.Sum(l => l.CompletionTokens) / span,8:F1} tokens/s   ({lines.Count} lines in {span:F1} s, interactive traffic included)");
        }

        return 0;
    }

    private static void Print(string label, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        double P(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        Console.WriteLine($"  {label,-42} p50 {P(0.5),7:F2} ms   p99 {P(0.99),7:F2} ms");
    }

    private static string Request(int maxTokens, bool stream) => JsonSerializer.Serialize(new
    {
        model = Model,
        messages = new[] { new { role = "user", content = "Summarise the shift on line 3." } },
        max_tokens = maxTokens,
        ignore_eos = true,
        stream,
    });

    private static async Task<(double TokensPerSecond, SortedSamples Tpot)> InteractiveAsync(Plant plant, string prefix, int count, int tokens)
    {
        var clock = Stopwatch.StartNew();
        var runs = await Task.WhenAll(Enumerable.Range(0, count).Select(i => plant.StreamAsync($"{prefix}-{i}", Request(tokens, stream: true))));
        var elapsed = clock.Elapsed.TotalSeconds;
        // Messages: the role chunk, content chunks, the finish chunk, the usage chunk; TPOT between content chunks.
        return (count * tokens / elapsed, new SortedSamples(runs.Select(r => r.Count < 5 ? 0 : (r[^3] - r[1]) / (r.Count - 4))));
    }

    private static async Task<string> CreateBatchAsync(HttpClient http, int lines, int tokens)
    {
        var jsonl = string.Join("\n", Enumerable.Range(0, lines).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"line-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = Model, messages = new[] { new { role = "user", content = $"Maintenance log {i}" } }, max_tokens = tokens, ignore_eos = true },
        })));
        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "lines.jsonl" } };
        using var uploaded = await http.PostAsync("/v1/files", form);
        var fileId = JsonDocument.Parse(await uploaded.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            JsonSerializer.Serialize(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), Encoding.UTF8, "application/json"));
        return JsonDocument.Parse(await created.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> BatchAsync(HttpClient http, string id) =>
        JsonDocument.Parse(await http.GetStringAsync($"/v1/batches/{id}")).RootElement.Clone();

    private static byte[] SparkplugPayload(ulong seq, params (string Name, long Value)[] metrics)
    {
        var payload = new Maas.Plant.Sparkplug.Protocol.Payload { Seq = seq, Timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        foreach (var (name, value) in metrics)
        {
            payload.Metrics.Add(new Maas.Plant.Sparkplug.Protocol.Payload.Types.Metric { Name = name, Datatype = 4, LongValue = (ulong)value });
        }

        return Google.Protobuf.MessageExtensions.ToByteArray(payload);
    }

    /// <summary>Latencies in milliseconds, sorted, nearest-rank percentiles.</summary>
    private sealed class SortedSamples(IEnumerable<double> values)
    {
        private readonly double[] _sorted = [.. values.Order()];

        public double Percentile(double p) => _sorted[Math.Clamp((int)Math.Ceiling(p * _sorted.Length) - 1, 0, _sorted.Length - 1)];
    }

    /// <summary>One MQTTnet client of the tenant, subscribed to its responses; waits for answers by request id.</summary>
    private sealed class Plant : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private readonly string _tenant;
        private readonly ConcurrentDictionary<string, (TaskCompletionSource Done, List<double> Arrivals)> _waiting = new();

        private Plant(IMqttClient client, string tenant)
        {
            _client = client;
            _tenant = tenant;
            client.ApplicationMessageReceivedAsync += e =>
            {
                var now = Stopwatch.GetElapsedTime(0).TotalMilliseconds;
                var id = e.ApplicationMessage.Topic[(e.ApplicationMessage.Topic.LastIndexOf('/') + 1)..];
                if (_waiting.TryGetValue(id, out var waiting))
                {
                    var text = e.ApplicationMessage.ConvertPayloadToString();
                    lock (waiting.Arrivals)
                    {
                        waiting.Arrivals.Add(now);
                    }

                    // One message, or the stream's last (the chunk with usage).
                    if (!text.Contains("\"chat.completion.chunk\"", StringComparison.Ordinal) || text.Contains("\"usage\":{", StringComparison.Ordinal))
                    {
                        waiting.Done.TrySetResult();
                    }
                }

                return Task.CompletedTask;
            };
        }

        public static async Task<Plant> ConnectAsync(int port, string key, string tenant, string clientId)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithCredentials("plant", key).WithClientId(clientId).WithCleanStart().Build());
            var plant = new Plant(client, tenant);
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"maas/{tenant}/responses/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
            return plant;
        }

        public Task PublishAsync(string topic, byte[] payload) => _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        public async Task AskAsync(string requestId, string body) => await StreamAsync(requestId, body);

        /// <summary>Publishes a request and returns the arrival times (ms) of its response messages.</summary>
        public async Task<List<double>> StreamAsync(string requestId, string body)
        {
            var waiting = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new List<double>());
            _waiting[requestId] = waiting;
            await PublishAsync($"maas/{_tenant}/requests/{requestId}", Encoding.UTF8.GetBytes(body));
            await waiting.Item1.Task.WaitAsync(TimeSpan.FromMinutes(5));
            _waiting.TryRemove(requestId, out _);
            lock (waiting.Item2)
            {
                return [.. waiting.Item2];
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisconnectAsync();
            _client.Dispose();
        }
    }
}
