using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Hosting;
using Maas.Grains.Inference.Hosting;
using Maas.Infrastructure.Persistence;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Maas.Api.Tests.Support;

/// <summary>
/// A real three-silo Orleans cluster (in-process): the first silo has role "api", the second is a
/// worker configured for model-x, the third a worker configured for model-y. Grains use a fresh
/// PostgreSQL database; tenant leases last 2 s and policy refreshes every second so tests can observe both.
/// </summary>
public sealed class SiloClusterFixture : IAsyncLifetime
{
    public const string ModelX = "model-x";
    public const string ModelY = "model-y";
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public PostgresTestDatabase Database { get; private set; } = null!;

    public IGrainFactory Client => Cluster.Client;

    /// <summary>The first silo (named "Silo_0" by InProcessTestCluster, "Primary" by TestCluster) is the api silo.</summary>
    public static string RoleOf(string siloName) => siloName is "Silo_0" or "Primary" ? SiloRoles.Api : SiloRoles.Worker;

    public static string[] ModelsOf(string siloName) => RoleOf(siloName) == SiloRoles.Api ? [] : siloName.EndsWith('1') ? [ModelX] : [ModelY];

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        await TestTenants.SeedAsync(Database);
        var connectionString = Database.ConnectionString;
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSiloHost((options, host) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Maas:Tenancy:LeaseDuration"] = LeaseDuration.ToString(),
                ["Maas:Tenancy:PolicyRefreshInterval"] = "00:00:01",
            };
            var models = ModelsOf(options.SiloName);
            for (var i = 0; i < models.Length; i++)
            {
                settings[$"Maas:Models:{i}:Id"] = models[i];
                settings[$"Maas:Models:{i}:Path"] = TestTenants.GoldenModelFolder;
            }

            host.Configuration.AddInMemoryCollection(settings);
            host.Services.AddDbContext<MaasDbContext>(o => o.UseNpgsql(connectionString));
            if (RoleOf(options.SiloName) == SiloRoles.Worker)
            {
                host.Services.AddMaasModelHosting();
            }
        });
        builder.ConfigureSilo((options, silo) => silo.AddMaasGrains(RoleOf(options.SiloName), ModelsOf(options.SiloName)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}
