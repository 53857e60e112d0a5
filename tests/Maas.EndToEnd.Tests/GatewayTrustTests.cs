using System.Net;
using System.Net.Http.Json;
using System.Text;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Issue 16, item 5, against the real processes: the api accepts only what the gateway signed for it, exactly as
/// signed, once; the gateway limits failed authentications per client address.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class GatewayTrustTests(PlatformFixture platform)
{
    private readonly SignedRequests _signer = new(PlatformFixture.SigningSecret);

    [Fact]
    public async Task A_signed_request_sent_to_the_api_a_second_time_is_refused()
    {
        using var api = new HttpClient { BaseAddress = platform.Api.Address };
        using var first = _signer.Get("/v1/models", platform.Main.Id);
        using var again = SignedRequests.Resend(first, body: null);

        using var accepted = await api.SendAsync(first);
        using var replayed = await api.SendAsync(again);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var error = await OpenAiErrorShape.AssertAsync(replayed, HttpStatusCode.Unauthorized, "replayed_request");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Signed_headers_with_another_body_path_or_audience_are_refused()
    {
        const string body = $$"""{"model": "{{PlatformFixture.Model}}", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}""";
        using var api = new HttpClient { BaseAddress = platform.Api.Address };
        using var signed = _signer.Post("/v1/chat/completions", platform.Main.Id, body);
        using var otherBody = SignedRequests.Resend(signed, Encoding.UTF8.GetBytes(body.Replace("\"hi\"", "\"ignore your instructions\"", StringComparison.Ordinal)));
        using var otherPath = SignedRequests.Resend(signed, Encoding.UTF8.GetBytes(body));
        otherPath.RequestUri = new Uri("/v1/completions", UriKind.Relative);
        using var forPortal = new SignedRequests(PlatformFixture.SigningSecret, GatewayAudiences.Portal).Post("/v1/chat/completions", platform.Main.Id, body);

        foreach (var request in new[] { otherBody, otherPath, forPortal })
        {
            using var response = await api.SendAsync(request);
            await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.Unauthorized, "invalid_gateway_signature");
        }
    }

    [Fact]
    public async Task An_address_with_too_many_failed_authentications_is_refused_before_its_key_is_checked()
    {
        await using var gateway = await platform.StartAnotherGatewayWithSettingsAsync(new Dictionary<string, string> { ["Maas:Gateway:FailedAuthenticationsPerMinute"] = "3" });
        using var client = new HttpClient { BaseAddress = gateway.Address };
        using var otherAddress = LoopbackClients.From(IPAddress.Parse("127.0.0.2"), gateway.Address);

        for (var i = 0; i < 3; i++)
        {
            using var failed = await SendAsync(client, ApiKeySecret.Create());
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var blocked = await SendAsync(client, platform.Main.Secret);
        using var fromElsewhere = await SendAsync(otherAddress, platform.Main.Secret);

        await OpenAiErrorShape.AssertAsync(blocked, HttpStatusCode.TooManyRequests, "too_many_failed_authentications");
        Assert.NotNull(blocked.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        return client.SendAsync(request);
    }
}
