using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maas.Api.Tests.Support;

/// <summary>
/// The real api (Kestrel on a free loopback port, its own Orleans silo as localhost-clustering primary,
/// a fresh PostgreSQL database) with two models that point at a golden checkpoint folder.
/// </summary>
public sealed class ApiHostFixture : IAsyncLifetime
{
    public const string SigningSecret = "test-signing-secret-0123456789";

    private WebApplication? _app;

    public PostgresTestDatabase Database { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public SignedRequests Requests { get; } = new(SigningSecret);

    public IGrainFactory Grains => _app!.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        await TestTenants.SeedAsync(Database);
        var siloPort = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ConnectionStrings:Postgres"] = Database.ConnectionString,
            ["Maas:Gateway:SigningSecret"] = SigningSecret,
            ["Maas:Orleans:SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{siloPort}",
            ["Maas:Orleans:ClusterId"] = "api-tests-" + Guid.NewGuid().ToString("N")[..8],
            ["Maas:Models:0:Id"] = TestTenants.ModelA,
            ["Maas:Models:0:Path"] = TestTenants.GoldenModelFolder,
            ["Maas:Models:1:Id"] = TestTenants.ModelB,
            ["Maas:Models:1:Path"] = TestTenants.GoldenModelFolder,
        };
        _app = ApiApplication.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}
