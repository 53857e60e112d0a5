using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using Maas.Engine;
using Maas.Engine.Checkpoints;
using Maas.Engine.Tools.Checkpoints;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
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
    private readonly string _clusterId;
    private int _apiOrleansGateway;

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

        var apiSilo = FreePort.Next();
        _apiOrleansGateway = FreePort.Next();
        var ready = TimeSpan.FromMinutes(3);
        var api = Silo(apiSilo, _apiOrleansGateway, apiSilo);
        api["Maas:Gateway:SigningSecret"] = SigningSecret;
        api["Maas:Metering:SpillDirectory"] = Path.Combine(SpillRoot, "api");
        Api = await StartAsync("services", "Maas.Api", api, ready);
        await StartAsync("services", "Maas.Worker", Silo(FreePort.Next(), FreePort.Next(), apiSilo), ready);
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

    /// <summary>Kills Maas.Plant (as a crash would) and starts it again on the same HTTP and MQTT ports.</summary>
    public async Task RestartPlantAsync()
    {
        await Plant.KillAsync();
        _processes.Remove(Plant);
        await Plant.DisposeAsync();
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
    public async Task RevokeAsync(PlantTenant key)
    {
        await using var db = Database.CreateContext();
        await new ApiKeyRegistry(db).RevokeAsync(key.KeyId.ToString("D"), CancellationToken.None);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        await new ApiKeyRevocation(ApiKeyRevocationOptions.DefaultChannel).PublishAsync(redis, key.KeyId, CancellationToken.None);
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

    public Mosquitto Mqtt(PlantTenant tenant) => new(MqttPort, tenant.Secret);

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

        foreach (var folder in new[] { CheckpointFolder, SpillRoot })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
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
            ["Maas:Plant:OrleansGatewayPort"] = _apiOrleansGateway.ToString(CultureInfo.InvariantCulture),
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
