using Maas.Testing;
using Xunit;

namespace Maas.Gateway.Tests.Support;

/// <summary>Per test class: a fresh database, an echo upstream and one gateway with default settings.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public PostgresTestDatabase Database { get; private set; } = null!;

    public EchoUpstream Upstream { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        Upstream = await EchoUpstream.StartAsync();
        Gateway = await GatewayInstance.StartAsync(Database.ConnectionString, Upstream);
    }

    public Task<GatewayInstance> StartGatewayAsync(IDictionary<string, string?>? overrides = null, TimeProvider? clock = null) =>
        GatewayInstance.StartAsync(Database.ConnectionString, Upstream, overrides, clock);

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        await Database.DisposeAsync();
    }
}
