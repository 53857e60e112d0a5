using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Issue 16, item 3, through gateway, api and worker processes: a request the replica's KV cache could never hold is
/// refused at once with a 400 naming the limit the api learned from the replica; a full replica queue and a passed
/// queue deadline are 503 with Retry-After; another tenant's request is served while one tenant floods the replica.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class SchedulingThroughGatewayTests(PlatformFixture platform)
{
    private static object Chat(string model, int? maxTokens, bool ignoreEos = false, bool stream = false) => maxTokens is { } max
        ? new { model, max_tokens = max, ignore_eos = ignoreEos, stream, messages = new[] { new { role = "user", content = "Status of line 3?" } } }
        : new { model, messages = new[] { new { role = "user", content = "Status of line 3?" } } };

    [Fact]
    public async Task A_request_larger_than_the_replicas_kv_cache_is_refused_at_once_with_400_naming_the_limit()
    {
        using var http = OpenAiClients.Http(platform, platform.Main);

        using var tooLarge = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.SmallKvModel, PlatformFixture.SmallKvCacheTokens + 1));
        var error = await OpenAiErrorShape.AssertAsync(tooLarge, HttpStatusCode.BadRequest, "context_length_exceeded");

        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        Assert.Contains($"{PlatformFixture.SmallKvCacheTokens} tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Without max_tokens the default fits what the cache holds next to the prompt.
        using var fits = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.SmallKvModel, maxTokens: null));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        using var body = JsonDocument.Parse(await fits.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32() <= PlatformFixture.SmallKvCacheTokens);
    }

    [Fact]
    public async Task A_full_queue_and_a_passed_queue_deadline_are_503_with_retry_after()
    {
        // One slot, a queue of one, a 1 s deadline: a long streamed request holds the slot; of two more, one queues and
        // waits past its deadline, the other finds the queue full.
        using var http = OpenAiClients.Http(platform, platform.Main);
        using var longRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat(PlatformFixture.OneSlotModel, 4000, ignoreEos: true, stream: true)) };
        using var running = await http.SendAsync(longRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        await using var stream = await running.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        Assert.StartsWith("data:", await reader.ReadLineAsync(), StringComparison.Ordinal);

        var waiting = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.OneSlotModel, 1))));

        var codes = new List<string?>();
        foreach (var response in waiting)
        {
            var error = await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "no Retry-After");
            codes.Add(error.GetProperty("code").GetString());
            response.Dispose();
        }

        Assert.Equal(["queue_full", "queue_timeout"], codes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Another_tenants_request_is_served_while_one_tenant_floods_the_replica()
    {
        // 24 long requests of one tenant: 16 fill the batch, 8 wait. First come, first served, the other tenant's
        // request would start only after the 8 waiting ones did, i.e. after 9 of the flood finished; fair admission
        // (and preempting the tenant that fills the batch) serves it while the flood has hardly begun.
        var flooder = await platform.CreateTenantAsync("e2e-flood-" + Guid.NewGuid().ToString("N")[..8], [], 1000);
        using var floodHttp = OpenAiClients.Http(platform, flooder);
        var finished = 0;
        var flood = Enumerable.Range(0, 24).Select(async _ =>
        {
            using var response = await floodHttp.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.Model, 120, ignoreEos: true));
            Interlocked.Increment(ref finished);
            return response.StatusCode;
        }).ToArray();

        // The other tenant asks once the flood fills the batch and waits in the worker's queue.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (await PrometheusText.ReadAsync(platform.Worker.ManagementAddress, $"maas_worker_queued_sequences{{model=\"{PlatformFixture.Model}\"}}") < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, "the flood never queued in the worker");
            await Task.Delay(20);
        }

        using var http = OpenAiClients.Http(platform, platform.Main);
        using var single = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.Model, 1));
        var finishedBefore = Volatile.Read(ref finished);

        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        Assert.True(finishedBefore < 8, $"{finishedBefore} flood requests finished before the other tenant's one");
        Assert.All(await Task.WhenAll(flood), status => Assert.Equal(HttpStatusCode.OK, status));
    }
}
