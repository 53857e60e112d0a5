using Maas.Plant.Tests.Support;

namespace Maas.Plant.Tests;

/// <summary>Keys, revocation and topic namespaces at the MQTT endpoint.</summary>
[Collection(PlantPlatformCollection.Name)]
public sealed class MqttTenantIsolationTests(PlantPlatformFixture platform)
{
    [Fact]
    public async Task Publishing_to_another_tenants_topic_is_refused_logged_and_never_delivered()
    {
        var victim = platform.Other;
        var attacker = platform.Mqtt(platform.SparkplugTenant);
        await using var victimSubscriber = await platform.Mqtt(victim).SubscribeAsync($"maas/{victim.Id}/#");

        var (_, output) = await attacker.PublishAsync($"maas/{victim.Id}/requests/forged", "{\"model\":\"x\",\"prompt\":\"x\"}", mqtt5: true);
        await attacker.PublishAsync($"maas/{victim.Id}/responses/forged", "{\"forged\":true}");
        await attacker.PublishAsync("maas/elsewhere", "{}");

        Assert.Contains("not authorized", output, StringComparison.OrdinalIgnoreCase);
        await Task.Delay(1000);
        Assert.Empty(victimSubscriber.Messages);
        Assert.True(await platform.PlantPrintedAsync($"Refused publish to maas/{victim.Id}/requests/forged"), platform.Plant.Output);
        Assert.True(await platform.PlantPrintedAsync($"Refused publish to maas/{victim.Id}/responses/forged"), platform.Plant.Output);
    }

    [Fact]
    public async Task Subscribing_outside_the_own_namespace_is_refused_and_logged()
    {
        var mqtt = platform.Mqtt(platform.SparkplugTenant);
        foreach (var filter in new[] { $"maas/{platform.Other.Id}/responses/#", "#", "maas/+/responses/#", "spBv1.0/#" })
        {
            await using var subscriber = await mqtt.SubscribeAsync(filter);
            Assert.False(await subscriber.Subscribed, $"subscription to {filter} was granted:\n{subscriber.Log}");
            Assert.True(await platform.PlantPrintedAsync($"Refused subscription to {filter}"), platform.Plant.Output);
        }

        await using var own = await mqtt.SubscribeAsync($"maas/{platform.SparkplugTenant.Id}/responses/#");
        Assert.True(await own.Subscribed);
    }

    [Fact]
    public async Task Unknown_keys_are_refused_and_a_revoked_key_is_disconnected_within_a_second()
    {
        var (exit, output) = await new Mosquitto(platform.MqttPort, "sk-maas-not-a-key").PublishAsync("maas/x/requests/1", "{}");
        Assert.NotEqual(0, exit);
        Assert.Contains("Connection Refused: bad user name or password", output, StringComparison.OrdinalIgnoreCase);
        Assert.True(await platform.PlantPrintedAsync("refused: key malformed"), platform.Plant.Output);

        var key = await platform.CreateKeyAsync(platform.Other);
        var clientId = "revoked-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await new Mosquitto(platform.MqttPort, key.Secret).SubscribeAsync($"maas/{key.Id}/responses/#", clientId);
        Assert.True(await subscriber.Subscribed);

        // From the revocation's commit (then `maas key revoke` sends the notice) to the disconnect.
        var revoked = await platform.RevokeAsync(key);
        var line = $"Disconnected MQTT client {clientId} of tenant {key.Id}: key {key.KeyId} revoked";
        while (!platform.Plant.Output.Contains(line, StringComparison.Ordinal) && DateTime.UtcNow - revoked < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        var took = DateTime.UtcNow - revoked;
        Assert.True(took < TimeSpan.FromSeconds(1), $"disconnected after {took.TotalMilliseconds:F0} ms:\n{platform.Plant.Output}");
        var (again, _) = await new Mosquitto(platform.MqttPort, key.Secret).PublishAsync($"maas/{key.Id}/requests/after", "{}");
        Assert.NotEqual(0, again);
    }

    [Fact]
    public async Task A_client_id_with_a_persistent_session_of_another_tenant_cannot_connect()
    {
        var clientId = "shared-id-" + Guid.NewGuid().ToString("N")[..8];
        await using (var owner = await platform.Mqtt(platform.SparkplugTenant).SubscribeAsync($"maas/{platform.SparkplugTenant.Id}/responses/#", clientId, persistent: true))
        {
            Assert.True(await owner.Subscribed);
        }

        await using var thief = await platform.Mqtt(platform.Other).SubscribeAsync($"maas/{platform.Other.Id}/responses/#", clientId, persistent: true);
        Assert.False(await thief.Subscribed);
        Assert.True(await platform.PlantPrintedAsync($"MQTT client id {clientId} belongs to another tenant's session"), platform.Plant.Output);
    }
}
