using System.Net;
using System.Text.Json;
using Maas.Plant.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Maas.Plant.Tests;

/// <summary>Requests and responses over MQTT with mosquitto_pub / mosquitto_sub against a real Maas.Plant process.</summary>
[Collection(PlantPlatformCollection.Name)]
public sealed class MqttRequestResponseTests(PlantPlatformFixture platform)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static string Chat(string content, int maxTokens = 4, bool stream = false) => JsonSerializer.Serialize(new
    {
        model = PlantPlatformFixture.Model,
        messages = new[] { new { role = "user", content } },
        max_tokens = maxTokens,
        stream,
    });

    private async Task<List<Infrastructure.Persistence.UsageEvent>> UsageAsync(string requestId)
    {
        await using var db = platform.Database.CreateContext();
        return await db.UsageEvents.AsNoTracking().Where(u => u.RequestId == requestId).ToListAsync();
    }

    [Fact]
    public async Task A_chat_request_published_with_mosquitto_pub_is_answered_on_the_response_topic_and_metered_as_plant()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var requestId = "shift-report-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/{requestId}");

        var (exit, output) = await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", Chat("Summarise the night shift on line 3."));
        Assert.True(exit == 0, output);

        var messages = await subscriber.WaitForAsync(m => m.Count >= 1, Wait);
        using var response = JsonDocument.Parse(messages[0].Payload);
        Assert.Equal("chat.completion", response.RootElement.GetProperty("object").GetString());
        Assert.Equal($"chatcmpl-plant:{tenant.Id}:{requestId}", response.RootElement.GetProperty("id").GetString());
        Assert.Equal(4, response.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var usage = Assert.Single(await UsageAsync($"plant:{tenant.Id}:{requestId}"));
        Assert.Equal("plant", usage.Source);
        Assert.Equal(tenant.Id, usage.TenantId);
        Assert.Equal(4, usage.CompletionTokens);
    }

    [Fact]
    public async Task A_streamed_request_comes_back_as_chunks_ending_with_one_that_carries_usage()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var requestId = "stream-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/{requestId}");

        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", Chat("Status of press 2?", maxTokens: 6, stream: true));

        var messages = await subscriber.WaitForAsync(m => m.Any(x => x.Payload.Contains("\"usage\"", StringComparison.Ordinal)), Wait);
        var chunks = messages.Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.True(chunks.Count >= 3, $"expected the role chunk, content and a finish before the usage chunk, got {chunks.Count}");
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var final = chunks[^1];
        Assert.Equal(0, final.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, final.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_request_published_twice_is_generated_and_billed_once_and_answered_twice_with_the_same_response()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var requestId = "retry-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/{requestId}");
        var body = Chat("Summarise maintenance log 17.", maxTokens: 8);

        // Twice at once (a retry racing the first attempt), then once more after the answer (a retry after a dropped link).
        await Task.WhenAll(mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", body), mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", body));
        await subscriber.WaitForAsync(m => m.Count >= 1, Wait);
        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", body);
        var messages = await subscriber.WaitForAsync(m => m.Count >= 2, Wait);

        Assert.Equal(messages[0].Payload, messages[1].Payload);
        var usage = Assert.Single(await UsageAsync($"plant:{tenant.Id}:{requestId}"));
        Assert.Equal(8, usage.CompletionTokens);

        // The same id in another tenant is another request.
        var other = platform.Mqtt(platform.Other);
        await using var otherSubscriber = await other.SubscribeAsync($"maas/{platform.Other.Id}/responses/{requestId}");
        await other.PublishAsync($"maas/{platform.Other.Id}/requests/{requestId}", body);
        await otherSubscriber.WaitForAsync(m => m.Count >= 1, Wait);
        Assert.Single(await UsageAsync($"plant:{platform.Other.Id}:{requestId}"));
    }

    [Fact]
    public async Task Errors_come_back_on_the_response_topic_in_the_OpenAI_shape()
    {
        var tenant = platform.Other;
        var mqtt = platform.Mqtt(tenant);
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/+");

        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/bad-json", "{not json");
        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/unknown-model", JsonSerializer.Serialize(new { model = "no-such-model", prompt = "x", max_tokens = 2 }));
        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/no-sparkplug", JsonSerializer.Serialize(new { model = PlantPlatformFixture.Model, prompt = "x", max_tokens = 2, maas_context = new { devices = new[] { "Line3/Press2" } } }));

        var messages = await subscriber.WaitForAsync(m => m.Count >= 3, Wait);
        JsonElement Error(string id) => JsonDocument.Parse(messages.Single(m => m.Topic.EndsWith("/" + id, StringComparison.Ordinal)).Payload).RootElement.GetProperty("error");
        Assert.Equal("invalid_json", Error("bad-json").GetProperty("code").GetString());
        Assert.Equal("model_not_found", Error("unknown-model").GetProperty("code").GetString());
        Assert.Equal("maas_context", Error("no-sparkplug").GetProperty("param").GetString());
        Assert.Empty(await UsageAsync($"plant:{tenant.Id}:bad-json"));
    }

    [Fact]
    public async Task A_stored_response_is_served_over_https_through_the_gateway_to_its_tenant_only()
    {
        var tenant = platform.SparkplugTenant;
        var mqtt = platform.Mqtt(tenant);
        var requestId = "https-" + Guid.NewGuid().ToString("N")[..8];
        await using var subscriber = await mqtt.SubscribeAsync($"maas/{tenant.Id}/responses/{requestId}");
        await mqtt.PublishAsync($"maas/{tenant.Id}/requests/{requestId}", Chat("Defect triage for batch 9."));
        var messages = await subscriber.WaitForAsync(m => m.Count >= 1, Wait);

        using var http = platform.Http(tenant);
        using var response = await http.GetAsync($"/plant/v1/responses/{requestId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(messages[0].Payload, await response.Content.ReadAsStringAsync());

        using var otherHttp = platform.Http(platform.Other);
        using var other = await otherHttp.GetAsync($"/plant/v1/responses/{requestId}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("response_not_found", JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());

        // Only through the gateway: the plant service refuses requests without its signed headers.
        using var direct = new HttpClient { BaseAddress = platform.Plant.Address };
        using var unsigned = await direct.GetAsync($"/plant/v1/responses/{requestId}");
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
    }
}
