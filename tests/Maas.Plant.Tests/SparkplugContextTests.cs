using System.Text.Json;
using Maas.Plant.Tests.Support;

namespace Maas.Plant.Tests;

/// <summary>
/// Sparkplug B messages of a test edge node, published with mosquitto_pub to the real Maas.Plant, become the context of
/// a request that names the device; the response says which values the prompt carried.
/// </summary>
[Collection(PlantPlatformCollection.Name)]
public sealed class SparkplugContextTests(PlantPlatformFixture platform)
{
    private async Task<JsonElement> AskAsync(Mosquitto mqtt, string tenantId, string device)
    {
        var requestId = "ctx-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenantId}/responses/{requestId}");
        var (exit, output) = await mqtt.PublishAsync($"maas/{tenantId}/requests/{requestId}", JsonSerializer.Serialize(new
        {
            model = PlantPlatformFixture.Model,
            prompt = "Is press 2 running hot?",
            max_tokens = 2,
            maas_context = new { devices = new[] { device } },
        }));
        Assert.True(exit == 0, output);
        var messages = await subscriber.WaitForAsync(m => m.Count >= 1, TimeSpan.FromSeconds(60));
        return JsonDocument.Parse(messages[0].Payload).RootElement.Clone();
    }

    private static async Task PublishAsync(Mosquitto mqtt, string topic, byte[] payload)
    {
        var (exit, output) = await mqtt.PublishAsync(topic, payload: payload);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task NBIRTH_DBIRTH_and_DDATA_by_alias_appear_as_context_and_DDEATH_marks_them_stale()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var edge = new EdgeNode("Plant1", "Line3-" + Guid.NewGuid().ToString("N")[..6]);
        await PublishAsync(mqtt, edge.Topic("NBIRTH"), edge.NodeBirth(EdgeNode.String("Shift", "night")));
        await PublishAsync(mqtt, edge.Topic("DBIRTH", "Press2"), edge.Next(EdgeNode.Double("Temperature", 1, 71.5), EdgeNode.Int32("Strokes", 2, 1200)));
        // Values by alias only, as DATA messages send them; under the tenant's own prefix this time.
        await PublishAsync(mqtt, $"maas/{tenant.Id}/" + edge.Topic("DDATA", "Press2"), edge.Next(EdgeNode.Double(null, 1, 88.25)));

        var response = await AskAsync(mqtt, tenant.Id, $"{edge.Node}/Press2");
        var context = response.GetProperty("maas_context").GetProperty("text").GetString()!;
        var stamp = EdgeNode.Timestamp.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"- {edge.Node}/Press2: Strokes = 1200 (at {stamp}), Temperature = 88.25 (at {stamp})", context, StringComparison.Ordinal);
        Assert.DoesNotContain("STALE", context, StringComparison.Ordinal);
        Assert.Equal("text_completion", response.GetProperty("object").GetString());

        // The node's own metrics by node name; a device nobody announced has no data.
        Assert.Contains("Shift = night", (await AskAsync(mqtt, tenant.Id, edge.Node)).GetProperty("maas_context").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("Press9: no data", (await AskAsync(mqtt, tenant.Id, $"{edge.Node}/Press9")).GetProperty("maas_context").GetProperty("text").GetString(), StringComparison.Ordinal);

        await PublishAsync(mqtt, edge.Topic("DDEATH", "Press2"), edge.Next());
        var stale = (await AskAsync(mqtt, tenant.Id, $"{edge.Node}/Press2")).GetProperty("maas_context").GetProperty("text").GetString()!;
        Assert.Contains($"- {edge.Node}/Press2: STALE (offline since", stale, StringComparison.Ordinal);
        Assert.Contains("Temperature = 88.25", stale, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sequence_gap_is_logged_and_an_NDEATH_of_an_earlier_session_does_not_mark_the_node_stale()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var node = "Line4-" + Guid.NewGuid().ToString("N")[..6];
        var earlier = new EdgeNode("Plant1", node, bdSeq: 6);
        var current = new EdgeNode("Plant1", node, bdSeq: 7);
        await PublishAsync(mqtt, current.Topic("NBIRTH"), current.NodeBirth(EdgeNode.Double("Speed", 1, 3.5)));
        await PublishAsync(mqtt, current.Topic("NDATA"), current.AfterGap(EdgeNode.Double(null, 1, 4.5)));
        await PublishAsync(mqtt, earlier.Topic("NDEATH"), earlier.NodeDeath());

        var context = (await AskAsync(mqtt, tenant.Id, node)).GetProperty("maas_context").GetProperty("text").GetString()!;
        Assert.Contains("Speed = 4.5", context, StringComparison.Ordinal);
        Assert.DoesNotContain("STALE", context, StringComparison.Ordinal);
        Assert.Contains($"Sparkplug B message of tenant {tenant.Id} on spBv1.0/Plant1/NDATA/{node}: AppliedAfterSequenceGap", platform.Plant.Output, StringComparison.Ordinal);
        Assert.Contains($"Sparkplug B message of tenant {tenant.Id} on spBv1.0/Plant1/NDEATH/{node}: IgnoredStaleDeath", platform.Plant.Output, StringComparison.Ordinal);

        // The node's own NDEATH (its Will) does.
        await PublishAsync(mqtt, current.Topic("NDEATH"), current.NodeDeath());
        Assert.Contains("STALE", (await AskAsync(mqtt, tenant.Id, node)).GetProperty("maas_context").GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_edge_node_data_is_not_context_for_this_tenant()
    {
        // The Sparkplug tenant's node, asked for by name from the other tenant's connection, which has no Sparkplug.
        var edge = new EdgeNode("Plant1", "Line5-" + Guid.NewGuid().ToString("N")[..6]);
        var owner = platform.Mqtt(platform.SparkplugTenant);
        await PublishAsync(owner, edge.Topic("NBIRTH"), edge.NodeBirth(EdgeNode.Double("Secret", 1, 42)));

        var other = platform.Mqtt(platform.Other);
        var response = await AskAsync(other, platform.Other.Id, edge.Node);
        Assert.Equal("maas_context", response.GetProperty("error").GetProperty("param").GetString());

        // A plain spBv1.0 publish from a tenant without Sparkplug is not taken as context of anyone.
        await other.PublishAsync(edge.Topic("NDATA"), payload: edge.Next(EdgeNode.Double(null, 1, 99)), mqtt5: true);
        var own = (await AskAsync(owner, platform.SparkplugTenant.Id, edge.Node)).GetProperty("maas_context").GetProperty("text").GetString()!;
        Assert.Contains("Secret = 42", own, StringComparison.Ordinal);
    }
}
