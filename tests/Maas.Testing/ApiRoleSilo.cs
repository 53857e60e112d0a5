using System.Globalization;
using Maas.Grains.Hosting;
using Maas.Infrastructure.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Maas.Testing;

/// <summary>
/// An api-role Orleans silo without HTTP, hosted the way the api hosts its silo (<c>AddMaasPostgres</c>,
/// <c>AddMaasSilo(SiloDefaults.Api)</c>) on free loopback ports as the primary of localhost clustering, over a fresh
/// database seeded with <see cref="SeededTenants"/>. Worker processes join it (<see cref="WorkerProcesses"/>); tests
/// call grains through it as the api would.
/// </summary>
public sealed class ApiRoleSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private ApiRoleSilo(IHost host, PostgresTestDatabase database, PrimarySilo primary)
    {
        _host = host;
        Database = database;
        Primary = primary;
    }

    public PostgresTestDatabase Database { get; }

    /// <summary>Where other silos join this one.</summary>
    public PrimarySilo Primary { get; }

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>This silo's address as <c>SiloAddress.ToString()</c> writes it.</summary>
    public string SiloAddress => _host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();

    /// <param name="settings">Configuration over the test defaults (database, Redis, ports, cluster id).</param>
    /// <param name="configure">Runs before the silo is added, e.g. to add the generation pipeline or a test usage sink.</param>
    public static async Task<ApiRoleSilo> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<HostApplicationBuilder>? configure = null)
    {
        var database = await PostgresTestDatabase.CreateAsync();
        try
        {
            await SeededTenants.SeedAsync(database);
            var primary = new PrimarySilo(database.ConnectionString, FreePort.Next(), "tests-" + Guid.NewGuid().ToString("N")[..8]);
            var configuration = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
                ["Maas:Orleans:SiloPort"] = primary.SiloPort.ToString(CultureInfo.InvariantCulture),
                ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{primary.SiloPort}",
                ["Maas:Orleans:ClusterId"] = primary.ClusterId,
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                configuration[key] = value;
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
            builder.Configuration.AddInMemoryCollection(configuration);
            builder.Logging.ClearProviders();
            builder.AddMaasPostgres();
            configure?.Invoke(builder);
            builder.AddMaasSilo(SiloDefaults.Api, servedModels: []);
            var host = builder.Build();
            try
            {
                await host.StartAsync();
            }
            catch
            {
                host.Dispose();
                throw;
            }

            return new ApiRoleSilo(host, database, primary);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Database.DisposeAsync();
    }
}
