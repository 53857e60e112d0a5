using System.Net;
using Maas.Api.Tests.Support;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>Every /v1 request must carry verifying gateway headers; the request id is echoed everywhere.</summary>
[Collection(ApiCollection.Name)]
public sealed class GatewayAuthenticationTests(ApiHostFixture api)
{
    [Fact]
    public async Task Request_without_gateway_headers_is_401_invalid_gateway_signature()
    {
        using var response = await api.Http.GetAsync("/v1/models");

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
    }

    [Fact]
    public async Task Request_with_a_wrong_signature_is_401()
    {
        using var request = api.Requests.Get("/v1/models", SeededTenants.A);
        request.Headers.Remove(GatewayHeaders.Signature);
        request.Headers.Add(GatewayHeaders.Signature, new string('0', 64));

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
    }

    [Fact]
    public async Task Request_signed_with_another_secret_is_401()
    {
        var other = new SignedRequests("another-secret-of-enough-length");
        using var request = other.Get("/v1/models", SeededTenants.A);

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
    }

    [Fact]
    public async Task Request_signed_more_than_60_seconds_ago_is_401()
    {
        using var request = api.Requests.Create(HttpMethod.Get, "/v1/models", SeededTenants.A, signedAt: DateTimeOffset.UtcNow.AddSeconds(-120));

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
    }

    [Fact]
    public async Task Request_signed_within_the_allowed_skew_is_accepted()
    {
        using var request = api.Requests.Create(HttpMethod.Get, "/v1/models", SeededTenants.A, signedAt: DateTimeOffset.UtcNow.AddSeconds(-30));

        using var response = await api.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Changing_the_signed_tenant_header_breaks_the_signature()
    {
        using var request = api.Requests.Get("/v1/models", SeededTenants.A);
        request.Headers.Remove(GatewayHeaders.TenantId);
        request.Headers.Add(GatewayHeaders.TenantId, SeededTenants.B);

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
    }

    [Fact]
    public async Task Gateway_request_id_is_echoed_as_x_request_id_on_success_and_on_errors()
    {
        using var ok = api.Requests.Get("/v1/models", SeededTenants.A, requestId: "req-echo-ok");
        using var okResponse = await api.Http.SendAsync(ok);
        using var bad = api.Requests.Post("/v1/chat/completions", SeededTenants.A, "{not json", requestId: "req-echo-bad");
        using var badResponse = await api.Http.SendAsync(bad);

        Assert.Equal(HttpStatusCode.OK, okResponse.StatusCode);
        Assert.Equal("req-echo-ok", Assert.Single(okResponse.Headers.GetValues("x-request-id")));
        Assert.Equal(HttpStatusCode.BadRequest, badResponse.StatusCode);
        Assert.Equal("req-echo-bad", Assert.Single(badResponse.Headers.GetValues("x-request-id")));
    }

    [Fact]
    public async Task Responses_without_a_gateway_request_id_get_a_generated_x_request_id()
    {
        using var live = await api.Http.GetAsync("/health/live");
        using var unauthenticated = await api.Http.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var first = Assert.Single(live.Headers.GetValues("x-request-id"));
        var second = Assert.Single(unauthenticated.Headers.GetValues("x-request-id"));
        Assert.False(string.IsNullOrWhiteSpace(first));
        Assert.NotEqual(first, second);
    }
}
