using System.Net;
using System.Text.Json;
using Maas.Plant.Tests.Support;
using Microsoft.EntityFrameworkCore;

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

    [Fact]
    public async Task A_request_Maas_Plant_was_generating_when_it_was_killed_is_generated_after_the_restart_and_metered_once()
    {
        var tenant = platform.Other;
        var mqtt = platform.Mqtt(tenant);
        var clientId = "line7-edge-" + Guid.NewGuid().ToString("N")[..8];
        var requestId = "killed-" + Guid.NewGuid().ToString("N")[..8];
        var first = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/#", clientId, persistent: true);
        Assert.True(await first.Subscribed);

        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", JsonSerializer.Serialize(new
        {
            model = PlantPlatformFixture.Model,
            prompt = "Write the full maintenance history of press 2:",
            max_tokens = 600,
            ignore_eos = true,
        }));

        // Claimed and generating (202 over HTTPS), then the process dies.
        using var http = platform.Http(tenant);
        var generating = false;
        for (var i = 0; i < 300 && !generating; i++)
        {
            using var response = await http.GetAsync($"/plant/v1/responses/{requestId}");
            generating = response.StatusCode == HttpStatusCode.Accepted;
            if (!generating)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(generating, "the request was never seen in progress");
        await first.DisposeAsync();
        await platform.RestartPlantAsync();

        await using var back = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/#", clientId, persistent: true);
        var messages = await back.WaitForAsync(m => m.Any(x => x.Topic.EndsWith("/" + requestId, StringComparison.Ordinal)), TimeSpan.FromSeconds(120));
        using var answer = JsonDocument.Parse(messages.Single(x => x.Topic.EndsWith("/" + requestId, StringComparison.Ordinal)).Payload);
        Assert.Equal(600, answer.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Contains($"Generating plant request {requestId} of tenant {tenant.Id} again", platform.Plant.Output, StringComparison.Ordinal);

        await using var db = platform.Database.CreateContext();
        var usage = Assert.Single(await db.UsageEvents.AsNoTracking().Where(u => u.RequestId == $"plant:{tenant.Id}:{requestId}").ToListAsync());
        Assert.Equal("plant", usage.Source);
        Assert.Equal(600, usage.CompletionTokens);
    }
}
