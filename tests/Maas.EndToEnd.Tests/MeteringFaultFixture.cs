using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Maas.Engine;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// An api process and a worker process (real processes, as `make run` starts them) on a PostgreSQL of their own
/// (<see cref="PrivatePostgres"/>), so tests can stop the database, SIGKILL the api and restart it without disturbing
/// any other test. Requests go straight to the api with the gateway's signed headers: the gateway plays no part in
/// metering. The api's metering spill lives in a folder that survives its restarts, as a volume would.
/// </summary>
public sealed class MeteringFaultFixture : IAsyncLifetime
{
    public const string Model = "fault-model";
    public const string SigningSecret = "fault-signing-secret-0123456789abcdef";
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    private readonly string _clusterId = "faults-" + Guid.NewGuid().ToString("N")[..8];
    private readonly SignedRequests _signer = new(SigningSecret);

    public PrivatePostgres Postgres { get; private set; } = null!;

    public string CheckpointFolder { get; } = Path.Combine(Path.GetTempPath(), "maas-faults-" + Guid.NewGuid().ToString("N")[..8]);

    public string SpillDirectory { get; } = Path.Combine(Path.GetTempPath(), "maas-faults-spill-" + Guid.NewGuid().ToString("N")[..8]);

    public ServiceProcess Api { get; private set; } = null!;

    public ServiceProcess Worker { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(CheckpointFolder, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 13);
        Postgres = await PrivatePostgres.CreateAsync();
        await using (var db = Postgres.CreateContext())
        {
            await new Maas.Infrastructure.Billing.PriceBookRegistry(db).SetAsync(Model, null, TestPrices.InputMiss, TestPrices.InputHit, TestPrices.Output, TestPrices.Currency, 0m, DateTimeOffset.UnixEpoch, CancellationToken.None);
        }

        await StartServicesAsync();
    }

    /// <summary>A fresh tenant allowed every model, 64 concurrent requests, an optional monthly budget.</summary>
    public async Task<string> CreateTenantAsync(decimal? monthlyBudget = null)
    {
        var id = "fault-" + Guid.NewGuid().ToString("N")[..10];
        await using var db = Postgres.CreateContext();
        var tenant = await new TenantRegistry(db).CreateAsync(id, id, allowedModels: null, maxConcurrentRequests: 64, requestsPerMinute: null, CancellationToken.None);
        tenant.MonthlyBudget = monthlyBudget;
        await db.SaveChangesAsync();
        return id;
    }

    /// <summary>The prompt of <see cref="CompleteAsync"/>.</summary>
    public const string Prompt = "Pump 7 bearing temperature";

    /// <summary>A 1-token-per-step completion of exactly <paramref name="maxTokens"/> tokens, streamed or not; the whole body is read.</summary>
    public async Task<(int Status, string Body)> CompleteAsync(string tenant, string requestId, int maxTokens = 4, bool stream = false, CancellationToken cancellationToken = default)
    {
        var body = $$"""{ "model": "{{Model}}", "prompt": "{{Prompt}}", "max_tokens": {{maxTokens}}, "ignore_eos": true, "stream": {{(stream ? "true" : "false")}} }""";
        using var request = _signer.Post("/v1/completions", tenant, body, requestId);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (stream && response.IsSuccessStatusCode && !text.TrimEnd().EndsWith("data: [DONE]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"stream {requestId} did not end with [DONE]: {text}");
        }

        return ((int)response.StatusCode, text);
    }

    public static string NewRequestId() => "req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>How many usage rows each of these request ids has.</summary>
    public async Task<Dictionary<string, int>> RecordCountsAsync(string tenant)
    {
        await using var db = Postgres.CreateContext();
        return db.UsageEvents.Where(e => e.TenantId == tenant).AsEnumerable().GroupBy(e => e.RequestId).ToDictionary(g => g.Key, g => g.Count());
    }

    public async Task<List<UsageEvent>> RecordsAsync(string tenant)
    {
        await using var db = Postgres.CreateContext();
        return db.UsageEvents.Where(e => e.TenantId == tenant).ToList();
    }

    /// <summary>
    /// Starts the api again after a kill (fresh silo ports: localhost clustering lives in the api silo, so the worker
    /// is restarted to join the new cluster). The spill folder is the same, so the new process replays what the
    /// killed one spilled.
    /// </summary>
    public async Task RestartAsync()
    {
        Http.Dispose();
        await Api.DisposeAsync();
        await Worker.DisposeAsync();
        await StartServicesAsync();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Worker is not null)
        {
            await Worker.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        foreach (var folder in new[] { CheckpointFolder, SpillDirectory })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private async Task StartServicesAsync()
    {
        var apiSilo = FreePort.Next();
        Dictionary<string, string> Silo(int siloPort) => new()
        {
            ["ConnectionStrings:Postgres"] = Postgres.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:ClusterId"] = _clusterId,
            ["Maas:Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{apiSilo}",
            ["Maas:Models:0:Id"] = Model,
            ["Maas:Models:0:Path"] = CheckpointFolder,
        };

        var api = Silo(apiSilo);
        api["Maas:Gateway:SigningSecret"] = SigningSecret;
        api["Maas:Metering:SpillDirectory"] = SpillDirectory;
        api["Maas:Metering:ReplayInterval"] = "00:00:00.200";
        api["Maas:Metering:CommitTimeout"] = "00:00:01";
        Api = await ServiceProcess.StartAsync("services", "Maas.Api", api, ReadyTimeout);
        Worker = await ServiceProcess.StartAsync("services", "Maas.Worker", Silo(FreePort.Next()), ReadyTimeout);
        Http = new HttpClient { BaseAddress = Api.Address, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        // Until a worker has joined and served once, generations answer 503: wait for the first success.
        var tenant = await CreateTenantAsync();
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while ((await CompleteAsync(tenant, NewRequestId(), maxTokens: 1)).Status != 200)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the api did not serve a generation in time:\n" + Api.Output);
            }

            await Task.Delay(250);
        }
    }
}
