using System.Globalization;
using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maas.Api.Tests.Support;

/// <summary>
/// The real api (Kestrel on a free loopback port, its own Orleans silo as localhost-clustering primary,
/// a fresh seeded PostgreSQL database) started in-process with test configuration.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public const string SigningSecret = "test-signing-secret-0123456789";

    /// <summary>Kestrel's body limit in the tests (small, so the 413 path is cheap to reach).</summary>
    public const int MaxRequestBodyBytes = 256 * 1024;

    private readonly WebApplication _app;

    private ApiHost(WebApplication app, PostgresTestDatabase database, int siloPort, string clusterId, Uri address, Uri management, string spillDirectory)
    {
        _app = app;
        SpillDirectory = spillDirectory;
        Database = database;
        SiloPort = siloPort;
        ClusterId = clusterId;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
        Management = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(30) };
    }

    public PostgresTestDatabase Database { get; }

    /// <summary>This host's own metering spill (one directory per process, as in production).</summary>
    public string SpillDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The api silo's silo-to-silo port: the primary endpoint other silos join.</summary>
    public int SiloPort { get; }

    public string ClusterId { get; }

    /// <summary>Where worker silos join this api's cluster.</summary>
    public PrimarySilo Primary => new(Database.ConnectionString, SiloPort, ClusterId);

    /// <summary>The public listener (what the gateway calls).</summary>
    public HttpClient Http { get; }

    /// <summary>The management listener: /metrics and the detailed /health/ready.</summary>
    public HttpClient Management { get; }

    public SignedRequests Requests { get; } = new(SigningSecret);

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The api silo's address as <c>SiloAddress.ToString()</c> writes it.</summary>
    public string SiloAddress => _app.Services.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().SiloAddress.ToString();

    public static async Task<ApiHost> StartAsync(IReadOnlyList<(string Id, string Path)> models, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var database = await PostgresTestDatabase.CreateAsync();
        await SeededTenants.SeedAsync(database);
        var siloPort = FreePort.Next();
        var managementPort = FreePort.Next();
        var clusterId = "api-tests-" + Guid.NewGuid().ToString("N")[..8];
        var spill = Path.Combine(Path.GetTempPath(), "maas-api-spill-" + Guid.NewGuid().ToString("N")[..8]);
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Maas:Management:Url"] = $"http://127.0.0.1:{managementPort}",
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["Maas:Orleans:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{siloPort}",
            ["Maas:Orleans:ClusterId"] = clusterId,
            ["Maas:Metering:SpillDirectory"] = spill,
            ["Maas:Api:MaxRequestBodyBytes"] = MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < models.Count; i++)
        {
            settings[$"Maas:Models:{i}:Id"] = models[i].Id;
            settings[$"Maas:Models:{i}:Path"] = models[i].Path;
        }

        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var app = ApiApplication.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        return new ApiHost(app, database, siloPort, clusterId, app.ListeningAddress(), app.ManagementAddress(), spill);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Management.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(SpillDirectory))
        {
            Directory.Delete(SpillDirectory, recursive: true);
        }
    }
}
