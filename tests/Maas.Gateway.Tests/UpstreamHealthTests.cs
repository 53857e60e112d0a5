using System.Diagnostics;
using System.Net;
using Maas.Gateway.Tests.Support;
using Xunit;

namespace Maas.Gateway.Tests;

public sealed class UpstreamHealthTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Active_health_checks_probe_the_api_destinations_live_endpoint()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:api:HealthCheck:Active:Interval"] = "00:00:00.200",
        });
        var before = fixture.Upstream.HealthProbes;
        var waited = Stopwatch.StartNew();

        while (fixture.Upstream.HealthProbes < before + 2 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        Assert.True(fixture.Upstream.HealthProbes >= before + 2, $"only {fixture.Upstream.HealthProbes - before} probes in {waited.Elapsed}");
    }

    [Fact]
    public async Task Unreachable_upstream_gets_an_openai_error_not_an_empty_body()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:api:Destinations:api-1:Address"] = $"http://127.0.0.1:{GatewayRequests.UnusedPort()}/",
        });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, $"got {(int)response.StatusCode}");
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal("server_error", error.Type);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Missing_signing_secret_fails_at_start_up()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Maas:Gateway:SigningSecret"] = "too-short" });
        });

        Assert.Contains("SigningSecret", failure.ToString(), StringComparison.Ordinal);
    }
}
