using System.Globalization;
using Maas.Grains.Hosting;
using Maas.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maas.Grains.Tests;

/// <summary>
/// "Maas:Orleans" settings are validated when a process makes itself a silo (<c>AddMaasSilo</c>): a bad value stops
/// start-up with a message naming the setting, before any port is opened.
/// </summary>
public sealed class SiloOptionsValidationTests
{
    [Fact]
    public void Equal_silo_and_gateway_ports_stop_start_up_naming_both_settings()
    {
        var error = Assert.Throws<OptionsValidationException>(() => AddSilo(SiloDefaults.Api, new() { ["SiloPort"] = "12345", ["GatewayPort"] = "12345" }));

        Assert.Contains("Maas:Orleans:SiloPort and GatewayPort must differ (both 12345)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_port_equal_to_the_roles_default_gateway_port_is_refused_too()
    {
        // Only the silo port is set; the gateway port comes from the worker's defaults, and they collide.
        var error = Assert.Throws<OptionsValidationException>(() => AddSilo(SiloDefaults.Worker, new() { ["SiloPort"] = SiloDefaults.Worker.GatewayPort.ToString(CultureInfo.InvariantCulture) }));

        Assert.Contains("Maas:Orleans:SiloPort and GatewayPort must differ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:11111")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("not an endpoint")]
    public void Malformed_primary_silo_endpoint_stops_start_up_naming_the_setting(string endpoint)
    {
        var error = Assert.Throws<OptionsValidationException>(() => AddSilo(SiloDefaults.Worker, new() { ["PrimarySiloEndpoint"] = endpoint }));

        Assert.Contains($"Maas:Orleans:PrimarySiloEndpoint '{endpoint}' is not an IP:port endpoint", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SiloPort", "70000")]
    [InlineData("GatewayPort", "-1")]
    public void Port_outside_the_tcp_range_stops_start_up_naming_the_setting(string setting, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => AddSilo(SiloDefaults.Api, new() { [setting] = value }));

        Assert.Equal(OrleansHostingOptions.SectionName, error.OptionsName);
        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ClusterId")]
    [InlineData("ServiceId")]
    public void Empty_cluster_or_service_id_stops_start_up_naming_the_setting(string setting)
    {
        var error = Assert.Throws<OptionsValidationException>(() => AddSilo(SiloDefaults.Api, new() { [setting] = "" }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_settings_pass()
    {
        var builder = AddSilo(SiloDefaults.Worker, new() { ["SiloPort"] = "21112", ["GatewayPort"] = "31001", ["PrimarySiloEndpoint"] = "127.0.0.1:21111", ["ClusterId"] = "c" });

        Assert.NotNull(builder);
    }

    [Fact]
    public void Unset_ports_and_primary_take_the_roles_defaults()
    {
        var api = new OrleansHostingOptions().WithDefaults(SiloDefaults.Api);
        var worker = new OrleansHostingOptions().WithDefaults(SiloDefaults.Worker);
        var workerOnOwnPort = new OrleansHostingOptions { SiloPort = 22222 }.WithDefaults(SiloDefaults.Worker);

        Assert.Equal((11111, 30000, "127.0.0.1:11111"), (api.SiloPort, api.GatewayPort, api.PrimarySiloEndpoint));
        Assert.Equal((11112, 30001, "127.0.0.1:11111"), (worker.SiloPort, worker.GatewayPort, worker.PrimarySiloEndpoint));
        Assert.Equal("127.0.0.1:11111", workerOnOwnPort.PrimarySiloEndpoint);
    }

    [Fact]
    public async Task Worker_process_with_equal_silo_and_gateway_ports_exits_at_start_up_naming_the_setting()
    {
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = TestEnvironment.PostgresConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:SiloPort"] = port,
            ["Maas:Orleans:GatewayPort"] = port,
        };

        // Liveness, not readiness: a worker that wrongly started would answer it at once and fail this test quickly.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ServiceProcess.StartAsync("services", "Maas.Worker", settings, TimeSpan.FromMinutes(1), "/health/live"));

        Assert.Contains("exited with", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Maas:Orleans:SiloPort and GatewayPort must differ (both {port})", error.Message, StringComparison.Ordinal);
    }

    private static HostApplicationBuilder AddSilo(SiloDefaults defaults, Dictionary<string, string?> orleans)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(orleans.ToDictionary(p => $"{OrleansHostingOptions.SectionName}:{p.Key}", p => p.Value));
        return builder.AddMaasSilo(defaults, servedModels: []);
    }
}
