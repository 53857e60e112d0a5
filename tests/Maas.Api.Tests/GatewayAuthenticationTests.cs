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

    [Theory]
    [InlineData("body")]
    [InlineData("path")]
    [InlineData("query")]
    [InlineData("method")]
    [InlineData("audience")]
    public async Task Headers_signed_for_another_request_do_not_verify(string changed)
    {
        // Signed for POST /v1/chat/completions with one body, for the api; then one thing is changed.
        const string body = """{ "model": "model-a", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1 }""";
        var signer = changed == "audience" ? new SignedRequests(ApiHost.SigningSecret, GatewayAudiences.Portal) : api.Requests;
        using var signed = signer.Post("/v1/chat/completions", SeededTenants.A, body);
        using var request = changed switch
        {
            "body" => SignedRequests.Resend(signed, System.Text.Encoding.UTF8.GetBytes(body.Replace("hi", "HI", StringComparison.Ordinal))),
            "path" => Retarget(signed, HttpMethod.Post, "/v1/completions"),
            "query" => Retarget(signed, HttpMethod.Post, "/v1/chat/completions?stream=true"),
            "method" => Retarget(signed, HttpMethod.Put, "/v1/chat/completions"),
            _ => SignedRequests.Resend(signed, System.Text.Encoding.UTF8.GetBytes(body)),
        };

        using var response = await api.Http.SendAsync(request);

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");

        static HttpRequestMessage Retarget(HttpRequestMessage original, HttpMethod method, string path)
        {
            var copy = SignedRequests.Resend(original, System.Text.Encoding.UTF8.GetBytes(body));
            copy.Method = method;
            copy.RequestUri = new Uri(path, UriKind.Relative);
            return copy;
        }
    }

    [Fact]
    public async Task The_same_signed_request_sent_twice_is_refused_the_second_time()
    {
        using var first = api.Requests.Get("/v1/models", SeededTenants.A);
        using var again = SignedRequests.Resend(first, body: null);

        using var accepted = await api.Http.SendAsync(first);
        using var replayed = await api.Http.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await OpenAiErrorAssert.IsErrorAsync(replayed, HttpStatusCode.Unauthorized, "replayed_request");
    }

    [Fact]
    public async Task A_request_refused_for_its_signature_does_not_use_up_its_request_id()
    {
        // Only verified requests claim their id, so nobody can block a request id by sending garbage under it.
        using var genuine = api.Requests.Get("/v1/models", SeededTenants.A);
        using var forged = SignedRequests.Resend(genuine, body: null);
        forged.Headers.Remove(GatewayHeaders.Signature);
        forged.Headers.Add(GatewayHeaders.Signature, new string('0', 64));

        using var refused = await api.Http.SendAsync(forged);
        using var accepted = await api.Http.SendAsync(genuine);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Gateway_request_id_is_echoed_as_x_request_id_on_success_and_on_errors()
    {
        // Unique per run: request ids are remembered (replay protection) in the shared Redis for two minutes.
        var okId = "req-echo-ok-" + Guid.NewGuid().ToString("N");
        var badId = "req-echo-bad-" + Guid.NewGuid().ToString("N");
        using var ok = api.Requests.Get("/v1/models", SeededTenants.A, requestId: okId);
        using var okResponse = await api.Http.SendAsync(ok);
        using var bad = api.Requests.Post("/v1/chat/completions", SeededTenants.A, "{not json", requestId: badId);
        using var badResponse = await api.Http.SendAsync(bad);

        Assert.Equal(HttpStatusCode.OK, okResponse.StatusCode);
        Assert.Equal(okId, Assert.Single(okResponse.Headers.GetValues("x-request-id")));
        Assert.Equal(HttpStatusCode.BadRequest, badResponse.StatusCode);
        Assert.Equal(badId, Assert.Single(badResponse.Headers.GetValues("x-request-id")));
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
