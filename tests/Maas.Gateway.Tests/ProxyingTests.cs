using System.Net;
using System.Net.Http.Headers;
using Maas.Gateway.Pipeline;
using Maas.Gateway.Tests.Support;
using Maas.Infrastructure.Tenancy;
using Xunit;

namespace Maas.Gateway.Tests;

public sealed class ProxyingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task Valid_key_is_proxied_with_signed_tenant_headers_that_verify()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await Client.SendAsync(GatewayRequests.Get("/v1/models?x=1", key.Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal("/v1/models", echoed.Path);
        Assert.Equal(key.TenantId, echoed.Headers[GatewayHeaders.TenantId]);
        Assert.Equal(key.Id.ToString("D"), echoed.Headers[GatewayHeaders.KeyId]);
        var requestId = echoed.Headers[GatewayHeaders.RequestId];
        Assert.Matches("^req_[0-9a-f]{24}$", requestId);
        Assert.Equal("api", echoed.Headers[GatewayHeaders.Audience]);
        Assert.Equal(echoed.BodySha256, echoed.Headers[GatewayHeaders.BodySha256]);
        var signed = SignedAsReceived(echoed);
        Assert.True(new GatewaySignature(GatewayInstance.SigningSecret).Verify(signed, echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
        Assert.False(new GatewaySignature("some-other-secret-0123456789").Verify(signed, echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
        Assert.False(new GatewaySignature(GatewayInstance.SigningSecret).Verify(signed with { PathAndQuery = "/v1/models" }, echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("x-request-id")));
        Assert.False(echoed.Headers.ContainsKey("Authorization"), "the client's secret must not travel past the gateway");
    }

    [Fact]
    public async Task Client_sent_maas_headers_never_reach_upstream()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        var request = GatewayRequests.Get("/v1/chat/completions", key.Secret);
        request.Headers.TryAddWithoutValidation("X-Maas-Tenant", "other-tenant");
        request.Headers.TryAddWithoutValidation("x-maas-signature", "forged");
        request.Headers.TryAddWithoutValidation("X-MAAS-Anything", "forged");

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal(key.TenantId, echoed.Headers[GatewayHeaders.TenantId]);
        Assert.NotEqual("forged", echoed.Headers[GatewayHeaders.Signature]);
        Assert.DoesNotContain(echoed.Headers.Values, v => v.Contains("other-tenant", StringComparison.Ordinal) || v.Contains("forged", StringComparison.Ordinal));
        Assert.False(echoed.Headers.ContainsKey("X-Maas-Anything"));
    }

    [Fact]
    public async Task Server_sent_events_are_streamed_before_the_upstream_finishes()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        var gate = Guid.NewGuid().ToString("N");

        using var response = await Client.SendAsync(GatewayRequests.Get("/v1/stream?gate=" + gate, key.Secret), HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("data: first", first);
        Assert.False(fixture.Upstream.Finished(gate).IsCompleted, "upstream had already finished before the first event arrived");

        fixture.Upstream.Release(gate);
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("data: [DONE]", rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_live_answers_without_a_key()
    {
        using var response = await Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Health_ready_answers_on_the_management_listener_when_postgres_is_reachable()
    {
        using var response = await fixture.Gateway.Management.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_tenant_port_answers_health_live_only_and_never_metrics_or_readiness()
    {
        using var metrics = await Client.GetAsync("/metrics");
        using var ready = await Client.GetAsync("/health/ready");
        using var live = await Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.DoesNotContain("Host=", await live.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_management_port_does_not_proxy()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await fixture.Gateway.Management.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_expose_request_auth_failure_rate_limit_and_upstream_series()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 1);
        using (var proxied = await Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        }

        using (var limited = await Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        }

        using (var anonymous = await Client.SendAsync(GatewayRequests.Get("/v1/models", null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var response = await fixture.Gateway.Management.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("maas_gateway_requests_total{route=\"api\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("maas_gateway_upstream_duration_seconds_count{route=\"api\"}", text, StringComparison.Ordinal);
        Assert.Contains("maas_gateway_auth_failures_total{reason=\"missing\"}", text, StringComparison.Ordinal);
        Assert.Contains("maas_gateway_rate_limited_total{scope=\"key\"}", text, StringComparison.Ordinal);
        Assert.Contains("maas_gateway_requests_total{route=\"api\",status=\"429\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_path_gets_404_in_openai_shape_with_a_request_id()
    {
        using var response = await Client.GetAsync("/nowhere");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal("unknown_url", error.Code);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Posted_body_reaches_upstream_intact()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        const string json = "{\"model\":\"m\",\"messages\":[]}";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(json, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal("POST", echoed.Method);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(json), echoed.BodyLength);
    }

    [Fact]
    public async Task The_plant_route_reaches_its_own_cluster_with_a_key_and_refuses_one_without()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:plant:Destinations:plant-1:Address"] = fixture.Upstream.BaseAddress.ToString(),
        });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var anonymous = await gateway.Client.SendAsync(GatewayRequests.Get("/plant/jobs/1", null));
        using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/plant/jobs/1", key.Secret));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal("/plant/jobs/1", echoed.Path);
        Assert.Equal(key.TenantId, echoed.Headers[GatewayHeaders.TenantId]);
        Assert.Equal("plant", echoed.Headers[GatewayHeaders.Audience]);
        Assert.True(new GatewaySignature(GatewayInstance.SigningSecret).Verify(SignedAsReceived(echoed), echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
        Assert.False(new GatewaySignature(GatewayInstance.SigningSecret).Verify(SignedAsReceived(echoed) with { Audience = "api" }, echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("/portal")]
    [InlineData("/portal/tenants/acme")]
    public async Task The_portal_route_needs_no_tenant_key_and_carries_no_tenant_identity_nor_a_tenant_secret(string path)
    {
        // The portal signs its administrators in itself (route metadata "Maas.Authentication": "None"): a tenant key
        // sent along is neither checked nor turned into an identity, and the secret is not forwarded.
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:portal:Destinations:portal-1:Address"] = fixture.Upstream.BaseAddress.ToString(),
        });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        var request = GatewayRequests.Get(path, key.Secret);
        request.Headers.TryAddWithoutValidation("X-Maas-Tenant", "forged-tenant");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal(path, echoed.Path);
        Assert.DoesNotContain(echoed.Headers.Keys, h => h.StartsWith("X-Maas-", StringComparison.OrdinalIgnoreCase));
        Assert.False(echoed.Headers.ContainsKey("Authorization"), "the tenant's secret must not travel to the portal");
        Assert.False(response.Headers.Contains(RateLimitMiddleware.LimitHeader), "no key, so no per-key rate limit");
        using var v1 = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", null));
        Assert.Equal(HttpStatusCode.Unauthorized, v1.StatusCode);
    }

    [Fact]
    public async Task The_signature_covers_the_body_the_upstream_receives()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        var json = """{"model": "m", "messages": [{"role": "user", "content": "Pump 7 温度"}]}""";
        using var request = GatewayRequests.Get("/v1/chat/completions", key.Secret);
        request.Method = HttpMethod.Post;
        request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await Client.SendAsync(request);

        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal(GatewaySignature.HashBody(System.Text.Encoding.UTF8.GetBytes(json)), echoed.BodySha256);
        Assert.True(new GatewaySignature(GatewayInstance.SigningSecret).Verify(SignedAsReceived(echoed), echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
        Assert.False(new GatewaySignature(GatewayInstance.SigningSecret).Verify(SignedAsReceived(echoed) with { BodySha256 = GatewaySignature.HashBody([]) }, echoed.Headers[GatewayHeaders.Signature], DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30)));
    }

    /// <summary>What the upstream can check: the request as it arrived, with the gateway's signed identity headers.</summary>
    private static GatewaySignedRequest SignedAsReceived(EchoedRequest echoed) => new(
        echoed.Headers[GatewayHeaders.Audience],
        echoed.Method,
        echoed.Path + echoed.Query,
        echoed.BodySha256,
        echoed.Headers[GatewayHeaders.TenantId],
        echoed.Headers[GatewayHeaders.KeyId],
        echoed.Headers[GatewayHeaders.RequestId],
        long.Parse(echoed.Headers[GatewayHeaders.Timestamp], System.Globalization.CultureInfo.InvariantCulture));
}
