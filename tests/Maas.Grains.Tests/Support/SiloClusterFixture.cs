using System.Globalization;
using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Hosting;
using Maas.Grains.Inference.Hosting;
using Maas.Infrastructure.Persistence;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Maas.Grains.Tests.Support;

/// <summary>
/// A real three-silo Orleans cluster (in-process): the first silo has role "api", the second is a
/// worker configured for model-x, the third a worker configured for model-y. Grains use a fresh
/// PostgreSQL database seeded with <see cref="SeededTenants"/>.
/// </summary>
/// <remarks>
/// Grains see <see cref="Clock"/>, a fake clock the tests advance, so tenant leases (15 minutes, as in production)
/// and the policy refresh timer (30 s) are tested without waiting. Orleans' own background areas (membership,
/// messaging, directory, activation collection) stay on real time, as Orleans' testing support intends.
/// </remarks>
public sealed class SiloClusterFixture : IAsyncLifetime
{
    public const string ModelX = "model-x";
    public const string ModelY = "model-y";
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan PolicyRefreshInterval = TimeSpan.FromSeconds(30);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public PostgresTestDatabase Database { get; private set; } = null!;

    /// <summary>The time every silo's grains see; only the tests move it.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public IGrainFactory Client => Cluster.Client;

    /// <summary>The first silo (named "Silo_0" by InProcessTestCluster, "Primary" by TestCluster) is the api silo.</summary>
    public static string RoleOf(string siloName) => siloName is "Silo_0" or "Primary" ? SiloRoles.Api : SiloRoles.Worker;

    public static string[] ModelsOf(string siloName) => RoleOf(siloName) == SiloRoles.Api ? [] : siloName.EndsWith('1') ? [ModelX] : [ModelY];

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        await SeededTenants.SeedAsync(Database);
        var connectionString = Database.ConnectionString;
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSiloHost((options, host) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Maas:Tenancy:LeaseDuration"] = LeaseDuration.ToString("c", CultureInfo.InvariantCulture),
                ["Maas:Tenancy:PolicyRefreshInterval"] = PolicyRefreshInterval.ToString("c", CultureInfo.InvariantCulture),
                ["Maas:Tenancy:SchedulingWeights:" + SeededTenants.PremiumPlan] = "3",
            };
            var models = ModelsOf(options.SiloName);
            for (var i = 0; i < models.Length; i++)
            {
                settings[$"Maas:Models:{i}:Id"] = models[i];
                settings[$"Maas:Models:{i}:Path"] = SeededTenants.GoldenModelFolder;
            }

            host.Configuration.AddInMemoryCollection(settings);
            host.Services.AddDbContext<MaasDbContext>(o => o.UseNpgsql(connectionString));

            // Wins over the TryAddSingleton(TimeProvider.System) of AddMaasGrains and Orleans, so TenantGrain gets the fake clock.
            host.Services.AddSingleton<TimeProvider>(Clock);
            host.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
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
