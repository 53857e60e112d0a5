using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using OpenAI.Chat;

namespace Maas.EndToEnd.Tests;

/// <summary>Errors in the OpenAI shape and tenant isolation, through the gateway as clients see them.</summary>
[Collection(PlatformCollection.Name)]
public sealed class EdgeSecurityAndErrorTests(PlatformFixture platform)
{
    private static object Chat(string model, int maxTokens = 4) => new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = "hi" } } };

    [Fact]
    public async Task Bad_json_is_400()
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent("{\"model\": ", Encoding.UTF8, "application/json"));
        await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task Out_of_range_temperature_is_400_through_the_OpenAI_client()
    {
        var chat = OpenAiClients.For(platform, platform.Main).GetChatClient(PlatformFixture.Model);
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 3.5f }));
        Assert.Equal(400, error.Status);
        using var response = new HttpResponseMessage((HttpStatusCode)error.Status) { Content = new StringContent(error.GetRawResponse()!.Content.ToString()) };
        var shape = await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("temperature", shape.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Unknown_key_is_401_through_the_OpenAI_client()
    {
        var client = OpenAiClients.For(platform, new TestTenant("nobody", "sk-maas-not-a-real-key-000000000000000000", Guid.Empty));
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GetChatClient(PlatformFixture.Model).CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task Unknown_model_is_404()
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", Chat("no-such-model"));
        await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.NotFound, "model_not_found");
    }

    [Fact]
    public async Task Body_over_the_limit_is_413()
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        var huge = new string('x', PlatformFixture.GatewayBodyLimit + 1024);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = PlatformFixture.Model, messages = new[] { new { role = "user", content = huge } } });
        await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Requests_over_the_tenants_rate_are_429_with_retry_after()
    {
        using var http = OpenAiClients.Http(platform, platform.Limited);
        for (var i = 0; i < PlatformFixture.RateLimitedRpm; i++)
        {
            using var ok = await http.GetAsync("/v1/models");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await http.GetAsync("/v1/models");
        await OpenAiErrorShape.AssertAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.True(limited.Headers.Contains("x-ratelimit-limit-requests"));
        Assert.True(limited.Headers.Contains("x-ratelimit-reset-requests"));
    }

    [Fact]
    public async Task Model_not_allowed_for_the_tenant_is_403()
    {
        using var http = OpenAiClients.Http(platform, platform.Restricted);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.Model));
        await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Client_sent_tenant_header_is_ignored()
    {
        // The restricted tenant claims to be the main tenant: still refused as itself.
        using (var http = OpenAiClients.Http(platform, platform.Restricted))
        {
            http.DefaultRequestHeaders.Add("X-Maas-Tenant", platform.Main.Id);
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.Model));
            await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.Forbidden);
        }

        // The main tenant claims to be the restricted one: still served as itself.
        using (var http = OpenAiClients.Http(platform, platform.Main))
        {
            http.DefaultRequestHeaders.Add("X-Maas-Tenant", platform.Restricted.Id);
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", Chat(PlatformFixture.Model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Request_straight_to_the_api_without_the_gateway_signature_is_refused()
    {
        using var http = new HttpClient { BaseAddress = platform.Api.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat(PlatformFixture.Model)) };
        request.Headers.Add("X-Maas-Tenant", platform.Main.Id);
        request.Headers.Add("X-Maas-Key", platform.Main.KeyId.ToString("D"));
        request.Headers.Add("X-Maas-Timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Maas-Signature", new string('0', 64));
        using var response = await http.SendAsync(request);
        await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Metrics_and_readiness_are_served_only_on_the_management_ports()
    {
        using var http = new HttpClient();
        foreach (var process in new[] { platform.Gateway, platform.Api, platform.Worker })
        {
            using var publicMetrics = await http.GetAsync(new Uri(process.Address, "/metrics"));
            using var publicReady = await http.GetAsync(new Uri(process.Address, "/health/ready"));
            using var publicLive = await http.GetAsync(new Uri(process.Address, "/health/live"));
            using var metrics = await http.GetAsync(new Uri(process.ManagementAddress, "/metrics"));
            using var ready = await http.GetAsync(new Uri(process.ManagementAddress, "/health/ready"));

            Assert.True(HttpStatusCode.NotFound == publicMetrics.StatusCode, $"{process.Name} /metrics on its public port: {(int)publicMetrics.StatusCode}");
            Assert.True(HttpStatusCode.NotFound == publicReady.StatusCode, $"{process.Name} /health/ready on its public port: {(int)publicReady.StatusCode}");
            await OpenAiErrorShape.AssertAsync(publicMetrics, HttpStatusCode.NotFound);
            Assert.Equal(HttpStatusCode.OK, publicLive.StatusCode);
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"checks\"", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains("maas_gateway_rate_limiter_unavailable_total", await http.GetStringAsync(new Uri(platform.Gateway.ManagementAddress, "/metrics")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_key_stops_working_at_once_not_when_the_key_cache_expires()
    {
        var tenant = await platform.CreateTenantAsync("e2e-revoke-" + Guid.NewGuid().ToString("N")[..8], [], 1000);
        using var http = OpenAiClients.Http(platform, tenant);
        using (var before = await http.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await platform.RevokeAsync(tenant);

        // The gateway caches keys for PlatformFixture.KeyCacheTtl (10 minutes): only the notice can stop the key sooner.
        Assert.Equal(HttpStatusCode.Unauthorized, await RevokedKeyProbe.StatusOnceRevokedAsync(http));
    }
}
