using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Metering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Maas.Testing;

/// <summary>
/// Durable metering wired as the api wires it (AddMaasPostgres + AddMaasMetering) in a generic host, against a real
/// PostgreSQL (or a loopback port nobody listens on, to play an unreachable one) with its own spill directory.
/// </summary>
public sealed class MeteringHost : IAsyncDisposable
{
    private readonly IHost _host;

    private MeteringHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IUsageSink Sink => Services.GetRequiredService<IUsageSink>();

    public UsageSpill Spill => Services.GetRequiredService<UsageSpill>();

    /// <summary>A connection string to a loopback port with no server: connections are refused at once.</summary>
    public static string UnreachablePostgres => new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Port = FreePort.Next() }.ConnectionString;

    public static async Task<MeteringHost> StartAsync(string connectionString, string spillDirectory, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Maas:Metering:SpillDirectory"] = spillDirectory,
            ["Maas:Metering:ReplayInterval"] = "00:00:00.200",
            ["Maas:Metering:CommitTimeout"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddLogging();
        builder.AddMaasPostgres();
        builder.Services.AddMaasMetering();
        var host = builder.Build();
        await host.StartAsync();
        return new MeteringHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
