using System.Net;
using System.Text.Json;
using Maas.Plant.Tests.Support;

namespace Maas.Plant.Tests;

/// <summary>Persistent sessions whose owed responses survive a restart of Maas.Plant (kept in PostgreSQL).</summary>
[Collection(PlantPlatformCollection.Name)]
public sealed class StoreAndForwardTests(PlantPlatformFixture platform)
{
    [Fact]
    public async Task A_plant_that_disconnected_before_its_response_receives_it_when_it_reconnects_after_Maas_Plant_restarted()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var clientId = "line3-edge-" + Guid.NewGuid().ToString("N")[..8];
        var requestId = "offline-" + Guid.NewGuid().ToString("N")[..8];
        var filter = $"maas/{tenant.Id}/responses/#";

        // The plant's persistent session subscribes, then its link drops.
        var first = await mqtt.SubscribeAsync(filter, clientId, persistent: true);
        Assert.True(await first.Subscribed);
        await first.DisposeAsync();

        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", JsonSerializer.Serialize(new
        {
            model = PlantPlatformFixture.Model,
            prompt = "Maintenance summary for press 2:",
            max_tokens = 5,
        }));
        using var http = platform.Http(tenant);
        string stored = "";
        for (var i = 0; i < 600; i++)
        {
            using var response = await http.GetAsync($"/plant/v1/responses/{requestId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                stored = await response.Content.ReadAsStringAsync();
                break;
            }

            await Task.Delay(100);
        }

        Assert.Contains("text_completion", stored, StringComparison.Ordinal);
        await platform.RestartPlantAsync();

        // Same client id, clean session off: what is owed comes from PostgreSQL, since the broker's memory is gone.
        await using var back = await mqtt.SubscribeAsync(filter, clientId, persistent: true);
        var messages = await back.WaitForAsync(m => m.Any(x => x.Topic.EndsWith("/" + requestId, StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
        Assert.Equal(stored, messages.Single(x => x.Topic.EndsWith("/" + requestId, StringComparison.Ordinal)).Payload);

        // Acknowledged now: a later reconnect gets nothing again.
        await back.StopAsync();
        await Task.Delay(500);
        await using var again = await mqtt.SubscribeAsync(filter, clientId, persistent: true);
        await Task.Delay(1500);
        Assert.DoesNotContain(again.Messages, m => m.Topic.EndsWith("/" + requestId, StringComparison.Ordinal));
    }
}
