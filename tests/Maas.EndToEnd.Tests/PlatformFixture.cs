using System.Globalization;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using StackExchange.Redis;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// The whole platform as `make run` starts it, but on free loopback ports and a fresh database: a
/// real worker silo serving a tiny random DeepSeek-V2-shaped checkpoint, a real api silo, and the YARP
/// gateway in front, each its own process; PostgreSQL and Redis are the real ones of `make test`.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string Model = "e2e-model";

    /// <summary>The same checkpoint served with SpecialTokensInPrompts on: completions prompts may hold control tokens.</summary>
    public const string RawPromptModel = "e2e-model-raw";

    /// <summary>The same checkpoint on an engine of one batch slot, a queue of one and a 1 s queue deadline.</summary>
    public const string OneSlotModel = "e2e-model-one-slot";

    /// <summary>The same checkpoint on an engine whose KV cache holds <see cref="SmallKvCacheTokens"/> tokens.</summary>
    public const string SmallKvModel = "e2e-model-small-kv";

    public const int SmallKvCacheTokens = 256;
    public const string SigningSecret = "e2e-signing-secret-0123456789abcdef";
    public const int GatewayBodyLimit = 256 * 1024;
    public const int RateLimitedRpm = 3;

    /// <summary>
    /// How long gateways trust a looked-up key: far longer than any test runs, so a revoked key that stops working
    /// was stopped by the revocation notice, never by its cache entry expiring.
    /// </summary>
    public static readonly TimeSpan KeyCacheTtl = TimeSpan.FromMinutes(10);

    /// <summary>How long tests wait for a revocation notice to reach a gateway: a fraction of <see cref="KeyCacheTtl"/>.</summary>
    public static readonly TimeSpan RevocationDeadline = TimeSpan.FromSeconds(30);

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<ServiceProcess> _processes = [];

    public PostgresTestDatabase Database { get; private set; } = null!;

    public string CheckpointFolder { get; } = Path.Combine(Path.GetTempPath(), "maas-e2e-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The api process's metering spill.</summary>
    public string SpillDirectory { get; } = Path.Combine(Path.GetTempPath(), "maas-e2e-spill-" + Guid.NewGuid().ToString("N")[..8]);

    public ServiceProcess Api { get; private set; } = null!;

    public ServiceProcess Worker { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>May call every model; the key the OpenAI client uses.</summary>
    public TestTenant Main { get; private set; } = null!;

    /// <summary>May call no served model (its only allowed model does not exist).</summary>
    public TestTenant Restricted { get; private set; } = null!;

    /// <summary>Three requests a minute.</summary>
    public TestTenant Limited { get; private set; } = null!;

    public Uri GatewayV1 => new(Gateway.Address, "/v1");

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(CheckpointFolder, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16,
            TestEnvironment.DeepSeekV3TokenizerFolder, seed: 11);
        Database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(Database, Model, RawPromptModel, OneSlotModel, SmallKvModel);
        Main = await CreateTenantAsync("e2e-main-" + _suffix, [], 1000);
        Restricted = await CreateTenantAsync("e2e-restricted-" + _suffix, ["no-such-model"], 1000);
        Limited = await CreateTenantAsync("e2e-limited-" + _suffix, [], RateLimitedRpm);

        var clusterId = "e2e-" + _suffix;
        var apiSilo = FreePort.Next();
        var ready = TimeSpan.FromMinutes(3);
        Dictionary<string, string> Silo(int siloPort) => new()
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:ClusterId"] = clusterId,
            ["Maas:Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{apiSilo}",
            ["Maas:Models:0:Id"] = Model,
            ["Maas:Models:0:Path"] = CheckpointFolder,
            ["Maas:Models:1:Id"] = RawPromptModel,
            ["Maas:Models:1:Path"] = CheckpointFolder,
            ["Maas:Models:1:SpecialTokensInPrompts"] = "true",
            ["Maas:Models:2:Id"] = OneSlotModel,
            ["Maas:Models:2:Path"] = CheckpointFolder,
            ["Maas:Models:2:MaxBatchSequences"] = "1",
            ["Maas:Models:2:MaxQueuedSequences"] = "1",
            ["Maas:Models:2:MaxQueueWait"] = "00:00:01",
            ["Maas:Models:3:Id"] = SmallKvModel,
            ["Maas:Models:3:Path"] = CheckpointFolder,
            ["Maas:Models:3:KvCacheTokens"] = SmallKvCacheTokens.ToString(CultureInfo.InvariantCulture),
        };

        var api = Silo(apiSilo);
        api["Maas:Gateway:SigningSecret"] = SigningSecret;
        api["Maas:Metering:SpillDirectory"] = SpillDirectory;
        Api = await StartAsync("services", "Maas.Api", api, ready);
        Worker = await StartAsync("services", "Maas.Worker", Silo(FreePort.Next()), ready);
        Gateway = await StartAsync("gateway", "Maas.Gateway", GatewaySettings(), ready);
    }

    /// <summary>
    /// Another gateway in front of the same api, database and Redis, configured like <see cref="Gateway"/> plus the
    /// given environment variables (e.g. Maas__ApiKeys__RevocationChannel). The caller disposes it.
    /// </summary>
    public Task<ServiceProcess> StartAnotherGatewayAsync(IReadOnlyDictionary<string, string> environment) =>
        ServiceProcess.StartAsync("gateway", "Maas.Gateway", GatewaySettings(), TimeSpan.FromMinutes(1), environment: environment);

    /// <summary>Another gateway in front of the same api, configured like <see cref="Gateway"/> with <paramref name="overrides"/> winning. The caller disposes it.</summary>
    public Task<ServiceProcess> StartAnotherGatewayWithSettingsAsync(IReadOnlyDictionary<string, string> overrides, string healthPath = "/health/ready")
    {
        var settings = GatewaySettings();
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return ServiceProcess.StartAsync("gateway", "Maas.Gateway", settings, TimeSpan.FromMinutes(1), healthPath);
    }

    public async Task<TestTenant> CreateTenantAsync(string id, IReadOnlyList<string> allowedModels, int requestsPerMinute)
    {
        await using var db = Database.CreateContext();
        await new TenantRegistry(db).CreateAsync(id, id, allowedModels, maxConcurrentRequests: 32, requestsPerMinute, CancellationToken.None);
        var key = await new ApiKeyRegistry(db).CreateAsync(id, "e2e", requestsPerMinute: null, CancellationToken.None);
        return new TestTenant(id, key.Secret, key.Key.Id);
    }

    /// <summary>Revokes a key the way `maas key revoke` does: in PostgreSQL, then a notice on Redis.</summary>
    public async Task RevokeAsync(TestTenant tenant)
    {
        await using var db = Database.CreateContext();
        await new ApiKeyRegistry(db).RevokeAsync(tenant.KeyId.ToString("D"), CancellationToken.None);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        await new ApiKeyRevocation(ApiKeyRevocationOptions.DefaultChannel).PublishAsync(redis, tenant.KeyId, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        foreach (var folder in new[] { CheckpointFolder, SpillDirectory })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private Dictionary<string, string> GatewaySettings() => new()
    {
        ["ConnectionStrings:Postgres"] = Database.ConnectionString,
        ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
        ["Maas:Gateway:SigningSecret"] = SigningSecret,
        ["Maas:Gateway:MaxRequestBodyBytes"] = GatewayBodyLimit.ToString(CultureInfo.InvariantCulture),
        ["Maas:Gateway:ApiKeyCacheTtl"] = KeyCacheTtl.ToString("c", CultureInfo.InvariantCulture),
        ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = Api.Address.ToString(),
    };

    private async Task<ServiceProcess> StartAsync(string folder, string project, Dictionary<string, string> settings, TimeSpan ready)
    {
        var process = await ServiceProcess.StartAsync(folder, project, settings, ready);
        _processes.Add(process);
        return process;
    }
}
