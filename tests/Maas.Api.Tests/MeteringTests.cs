using System.Net;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Checkpoints;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Api.Tests;

/// <summary>
/// Metering through the api's HTTP surface and a real worker: the usage record is committed before the last byte of
/// the response, carries the worker's weights digest and the request's timings; cancelled requests are metered for
/// what they produced; budgets answer 429 insufficient_quota; GET /v1/usage shows a tenant its own usage only.
/// </summary>
public sealed class MeteringTests(GenerationFixture fixture) : IClassFixture<GenerationFixture>
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    [Fact]
    public async Task The_usage_record_is_committed_before_the_response_ends_with_the_weights_digest_and_timings()
    {
        var requestId = "req-meter-" + Guid.NewGuid().ToString("N")[..8];
        const string body = """{ "model": "test-model", "prompt": "Pump 7 vibration", "max_tokens": 4, "ignore_eos": true }""";
        var sent = DateTimeOffset.UtcNow;
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body, requestId));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);

        // No waiting: the row must already be there when the body has arrived.
        await using var db = fixture.Api.Database.CreateContext();
        var row = await db.UsageEvents.SingleAsync(e => e.RequestId == requestId);
        using var json = JsonDocument.Parse(text);
        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), row.PromptTokens);
        Assert.Equal(4, row.CompletionTokens);
        Assert.Equal(0, row.CachedPromptTokens);
        Assert.Equal((SeededTenants.All, "key-1", GenerationFixture.Model), (row.TenantId, row.KeyId, row.Model));
        Assert.Equal(("api", "completions", "length"), (row.Source, row.Endpoint, row.FinishReason));
        Assert.Equal(await CheckpointDigest.ComputeAsync(fixture.CheckpointFolder, CancellationToken.None), row.WeightsDigest);
        Assert.InRange(row.ReceivedAt, sent.AddSeconds(-1), DateTimeOffset.UtcNow);
        Assert.NotNull(row.FirstTokenAt);
        Assert.True(row.ReceivedAt <= row.FirstTokenAt && row.FirstTokenAt <= row.FinishedAt);
        Assert.Equal((row.PromptTokens * TestPrices.InputMiss + 4 * TestPrices.Output) / 1_000_000m, row.Cost);
    }

    [Fact]
    public async Task A_stream_is_recorded_before_its_usage_chunk_and_done()
    {
        var requestId = "req-meter-stream-" + Guid.NewGuid().ToString("N")[..8];
        const string body = """{ "model": "test-model", "messages": [{"role": "user", "content": "Line speed?"}], "max_tokens": 3, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true} }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Chat, SeededTenants.All, body, requestId), HttpCompletionOption.ResponseHeadersRead);
        var events = new List<string>();
        await foreach (var data in ServerSentEvents.ReadDataAsync(response))
        {
            events.Add(data);
        }

        Assert.Equal("[DONE]", events[^1]);
        await using var db = fixture.Api.Database.CreateContext();
        var row = await db.UsageEvents.SingleAsync(e => e.RequestId == requestId);
        Assert.Equal(("chat.completions", 3), (row.Endpoint, row.CompletionTokens));
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_is_metered_for_what_was_produced()
    {
        var requestId = "req-meter-gone-" + Guid.NewGuid().ToString("N")[..8];
        const string body = """{ "model": "test-model", "prompt": "Tell a long story", "max_tokens": 400, "ignore_eos": true, "stream": true }""";
        using (var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, SeededTenants.All, body, requestId), HttpCompletionOption.ResponseHeadersRead))
        {
            var seen = 0;
            await foreach (var _ in ServerSentEvents.ReadDataAsync(response))
            {
                if (++seen == 3)
                {
                    break;
                }
            }
        }

        var row = await WaitForRecordAsync(requestId);
        Assert.Equal("cancelled", row.FinishReason);
        Assert.InRange(row.CompletionTokens, 1, 399);
        Assert.True(row.Cost > 0);
    }

    [Fact]
    public async Task A_request_over_budget_is_refused_with_429_insufficient_quota_and_not_metered()
    {
        var tenant = await CreateTenantAsync(monthlyBudget: 0.000001m);
        var requestId = "req-meter-quota-" + Guid.NewGuid().ToString("N")[..8];
        const string body = """{ "model": "test-model", "prompt": "Status", "max_tokens": 16 }""";
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, tenant, body, requestId));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("insufficient_quota", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("insufficient_quota", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        await using var db = fixture.Api.Database.CreateContext();
        Assert.False(await db.UsageEvents.AnyAsync(e => e.RequestId == requestId));
    }

    [Fact]
    public async Task The_usage_API_shows_a_tenant_its_own_usage_and_cost_and_never_another_tenants()
    {
        var mine = await CreateTenantAsync(monthlyBudget: null);
        var theirs = await CreateTenantAsync(monthlyBudget: null);
        foreach (var (tenant, tokens) in new[] { (mine, 2), (mine, 3), (theirs, 5) })
        {
            using var generated = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Post(Completions, tenant, $$"""{ "model": "test-model", "prompt": "Pump 7", "max_tokens": {{tokens}}, "ignore_eos": true }"""));
            Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        }

        var start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        using var response = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get($"/v1/usage?start={start}&group_by=model,key", mine));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("page", json.RootElement.GetProperty("object").GetString());
        var bucket = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        var result = Assert.Single(bucket.GetProperty("results").EnumerateArray());
        Assert.Equal(GenerationFixture.Model, result.GetProperty("model").GetString());
        Assert.Equal("key-1", result.GetProperty("api_key_id").GetString());
        Assert.Equal(2, result.GetProperty("num_model_requests").GetInt64());
        Assert.Equal(5, result.GetProperty("output_tokens").GetInt64());

        await using var db = fixture.Api.Database.CreateContext();
        var recorded = await db.UsageEvents.Where(e => e.TenantId == mine).ToListAsync();
        Assert.Equal(recorded.Sum(e => (long)e.PromptTokens), result.GetProperty("input_tokens").GetInt64());
        Assert.Equal(recorded.Sum(e => e.Cost!.Value), result.GetProperty("cost").GetProperty("value").GetDecimal());
        Assert.Equal(TestPrices.Currency, result.GetProperty("cost").GetProperty("currency").GetString());

        // Grouped by day: one bucket per UTC day of the range; the other tenant's request is in none of them.
        using var byDay = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get($"/v1/usage?start={start}&group_by=day", mine));
        using var dayJson = JsonDocument.Parse(await byDay.Content.ReadAsStringAsync());
        Assert.Equal(2, dayJson.RootElement.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).Sum(r => r.GetProperty("num_model_requests").GetInt64()));

        using var bad = await fixture.Api.Http.SendAsync(fixture.Api.Requests.Get("/v1/usage?start=yesterday", mine));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private async Task<UsageEvent> WaitForRecordAsync(string requestId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var db = fixture.Api.Database.CreateContext();
            if (await db.UsageEvents.SingleOrDefaultAsync(e => e.RequestId == requestId) is { } row)
            {
                return row;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no usage record for {requestId}");
            await Task.Delay(100);
        }
    }

    private async Task<string> CreateTenantAsync(decimal? monthlyBudget)
    {
        var id = "meter-" + Guid.NewGuid().ToString("N")[..10];
        await using var db = fixture.Api.Database.CreateContext();
        var tenant = await new TenantRegistry(db).CreateAsync(id, id, allowedModels: null, maxConcurrentRequests: null, requestsPerMinute: null, CancellationToken.None);
        tenant.MonthlyBudget = monthlyBudget;
        await db.SaveChangesAsync();
        return id;
    }
}
