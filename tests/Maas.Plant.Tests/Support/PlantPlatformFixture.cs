using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using OpenAI;
using StackExchange.Redis;

namespace Maas.Plant.Tests.Support;

/// <summary>
/// The platform with the plant service, each a real process on free loopback ports and a fresh database: a worker
/// serving a tiny random checkpoint, the api silo, the gateway (with /plant routed to the plant service) and
/// Maas.Plant with its MQTT endpoint. <see cref="SparkplugTenant"/> has Sparkplug B context enabled.
/// </summary>
public sealed class PlantPlatformFixture : IAsyncLifetime
{
    public const string Model = "plant-model";
    public const string SigningSecret = "plant-signing-secret-0123456789abcdef";

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<ServiceProcess> _processes = [];
    private readonly int _plantHttpPort = FreePort.Next();
    private readonly int _apiHttpPort = FreePort.Next();
    private readonly string _clusterId;
    private int _apiOrleansGateway;
    private int _apiSiloPort;
    private int _workerOrleansGateway;
    private int _primarySiloPort;

    public PlantPlatformFixture()
    {
        _clusterId = "plant-" + _suffix;
    }

    public PostgresTestDatabase Database { get; private set; } = null!;

    public string CheckpointFolder { get; } = Path.Combine(Path.GetTempPath(), "maas-plant-" + Guid.NewGuid().ToString("N")[..8]);

    private string SpillRoot { get; } = Path.Combine(Path.GetTempPath(), "maas-plant-spill-" + Guid.NewGuid().ToString("N")[..8]);

    public int MqttPort { get; } = FreePort.Next();

    public ServiceProcess Api { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public ServiceProcess Plant { get; private set; } = null!;

    /// <summary>A plant tenant with Sparkplug B context enabled.</summary>
    public PlantTenant SparkplugTenant { get; private set; } = null!;

    /// <summary>A second plant tenant (no Sparkplug).</summary>
    public PlantTenant Other { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RandomCheckpointWriter.Write(CheckpointFolder, CheckpointShape.Tiny, layers: 2, WeightPrecision.Bf16, TestEnvironment.DeepSeekV3TokenizerFolder, seed: 5);
        Database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(Database, Model);
        SparkplugTenant = await CreateTenantAsync("plant-a-" + _suffix, 1000);
        Other = await CreateTenantAsync("plant-b-" + _suffix, 1000);

        // The worker is the cluster's primary silo, so the api can be killed and started again (BatchApiTests) while the
        // cluster lives on; the plant service is a client of the worker's gateway for the same reason.
        var workerSilo = FreePort.Next();
        _workerOrleansGateway = FreePort.Next();
        _apiSiloPort = FreePort.Next();
        _apiOrleansGateway = FreePort.Next();
        var ready = TimeSpan.FromMinutes(3);
        _primarySiloPort = workerSilo;
        await StartAsync("services", "Maas.Worker", Silo(workerSilo, _workerOrleansGateway, workerSilo), ready);
        await StartApiAsync();
        await StartPlantAsync();
        Gateway = await StartAsync("gateway", "Maas.Gateway", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = Api.Address.ToString(),
            ["ReverseProxy:Clusters:plant:Destinations:plant-1:Address"] = Plant.Address.ToString(),
        }, ready);
    }

    public Dictionary<string, string> Silo(int siloPort, int gatewayPort, int primarySiloPort) => new()
    {
        ["ConnectionStrings:Postgres"] = Database.ConnectionString,
        ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
        ["Maas:Orleans:ClusterId"] = _clusterId,
        ["Maas:Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Maas:Orleans:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{primarySiloPort}",
        ["Maas:Models:0:Id"] = Model,
        ["Maas:Models:0:Path"] = CheckpointFolder,
    };

    /// <summary>Kills the api silo (as a crash would) and starts it again on the same HTTP and Orleans ports.</summary>
    public async Task RestartApiAsync()
    {
        await Api.KillAsync();
        _processes.Remove(Api);
        await Api.DisposeAsync();
        KeepLog(Api);
        await StartApiAsync();
    }

    /// <summary>Kills Maas.Plant (as a crash would) and starts it again on the same HTTP and MQTT ports.</summary>
    public async Task RestartPlantAsync()
    {
        await Plant.KillAsync();
        _processes.Remove(Plant);
        await Plant.DisposeAsync();
        KeepLog(Plant);
        await StartPlantAsync();
    }

    public async Task<PlantTenant> CreateTenantAsync(string id, int requestsPerMinute)
    {
        await using var db = Database.CreateContext();
        await new TenantRegistry(db).CreateAsync(id, id, [], maxConcurrentRequests: 32, requestsPerMinute, CancellationToken.None);
        var key = await new ApiKeyRegistry(db).CreateAsync(id, "plant", requestsPerMinute: null, CancellationToken.None);
        return new PlantTenant(id, key.Secret, key.Key.Id);
    }

    /// <summary>A further key of a tenant.</summary>
    public async Task<PlantTenant> CreateKeyAsync(PlantTenant tenant)
    {
        await using var db = Database.CreateContext();
        var key = await new ApiKeyRegistry(db).CreateAsync(tenant.Id, "plant-extra", requestsPerMinute: null, CancellationToken.None);
        return new PlantTenant(tenant.Id, key.Secret, key.Key.Id);
    }

    /// <summary>Revokes a key the way `maas key revoke` does: in PostgreSQL, then a notice on Redis.</summary>
    /// <returns>When the revocation was committed (the test's own Redis and PostgreSQL connections are opened before).</returns>
    public async Task<DateTime> RevokeAsync(PlantTenant key)
    {
        await using var db = Database.CreateContext();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var registry = new ApiKeyRegistry(db);
        await db.Database.OpenConnectionAsync();
        await registry.RevokeAsync(key.KeyId.ToString("D"), CancellationToken.None);
        var revoked = DateTime.UtcNow;
        await new ApiKeyRevocation(ApiKeyRevocationOptions.DefaultChannel).PublishAsync(redis, key.KeyId, CancellationToken.None);
        return revoked;
    }

    /// <summary>The official OpenAI client through the gateway, no retries.</summary>
    public OpenAIClient OpenAi(PlantTenant tenant) => new(
        new ApiKeyCredential(tenant.Secret),
        new OpenAIClientOptions { Endpoint = new Uri(Gateway.Address, "/v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromMinutes(2) });

    public HttpClient Http(PlantTenant tenant)
    {
        var http = new HttpClient { BaseAddress = Gateway.Address, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Secret);
        return http;
    }

    /// <summary>True once Maas.Plant has printed <paramref name="text"/> (its console log reaches the test a moment after the client's answer).</summary>
    public async Task<bool> PlantPrintedAsync(string text, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!Plant.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public Mosquitto Mqtt(PlantTenant tenant) => new(MqttPort, tenant.Secret);

    /// <summary>Where each process's output is kept when it stops (a failing test's evidence; CI keeps /tmp of a failed run).</summary>
    public string LogFolder { get; } = Path.Combine(Path.GetTempPath(), "maas-plant-tests");

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
            KeepLog(process);
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        foreach (var folder in new[] { CheckpointFolder, SpillRoot })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private void KeepLog(ServiceProcess process)
    {
        Directory.CreateDirectory(LogFolder);
        File.AppendAllText(Path.Combine(LogFolder, $"{_suffix}-{process.Address.Port}.log"), process.Output);
    }

    private async Task StartApiAsync()
    {
        var api = Silo(_apiSiloPort, _apiOrleansGateway, _primarySiloPort);
        api["Maas:Gateway:SigningSecret"] = SigningSecret;
        api["Maas:Metering:SpillDirectory"] = Path.Combine(SpillRoot, "api");
        api["Maas:Batches:Concurrency"] = "2";
        Api = await ServiceProcess.StartAsync("services", "Maas.Api", api, TimeSpan.FromMinutes(3), port: _apiHttpPort);
        _processes.Add(Api);
    }

    private async Task StartPlantAsync()
    {
        Plant = await ServiceProcess.StartAsync("services", "Maas.Plant", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Models:0:Id"] = Model,
            ["Maas:Models:0:Path"] = CheckpointFolder,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["Maas:Metering:SpillDirectory"] = Path.Combine(SpillRoot, "plant"),
            ["Maas:Plant:MqttPort"] = MqttPort.ToString(CultureInfo.InvariantCulture),
            ["Maas:Plant:OrleansGatewayPort"] = _workerOrleansGateway.ToString(CultureInfo.InvariantCulture),
            ["Maas:Plant:ClusterId"] = _clusterId,
            ["Maas:Plant:SparkplugTenants:0"] = SparkplugTenant.Id,
        }, TimeSpan.FromMinutes(2), port: _plantHttpPort);
        _processes.Add(Plant);
    }

    private async Task<ServiceProcess> StartAsync(string folder, string project, Dictionary<string, string> settings, TimeSpan ready)
    {
        var process = await ServiceProcess.StartAsync(folder, project, settings, ready);
        _processes.Add(process);
        return process;
    }
}
