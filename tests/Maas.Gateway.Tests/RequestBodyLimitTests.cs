using System.Net;
using System.Net.Http.Headers;
using Maas.Gateway.Tests.Support;
using Xunit;

namespace Maas.Gateway.Tests;

public sealed class RequestBodyLimitTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const int Limit = 64 * 1024;

    private static readonly Dictionary<string, string?> SmallLimit = new() { ["Maas:Gateway:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    [Fact]
    public async Task Content_length_over_the_limit_gets_413_request_too_large()
    {
        await using var gateway = await fixture.StartGatewayAsync(SmallLimit);
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await gateway.Client.SendAsync(Post(key, new ByteArrayContent(new byte[Limit + 1])));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal(("invalid_request_error", "request_too_large"), (error.Type, error.Code));
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_gets_413_request_too_large()
    {
        await using var gateway = await fixture.StartGatewayAsync(SmallLimit);
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await gateway.Client.SendAsync(Post(key, new UnknownLengthContent(Limit + 1)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal(("invalid_request_error", "request_too_large"), (error.Type, error.Code));
    }

    [Fact]
    public async Task Chunked_body_at_the_limit_is_forwarded_whole()
    {
        await using var gateway = await fixture.StartGatewayAsync(SmallLimit);
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);

        using var response = await gateway.Client.SendAsync(Post(key, new UnknownLengthContent(Limit)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await GatewayRequests.ReadEchoAsync(response);
        Assert.Equal(Limit, echoed.BodyLength);
    }

    [Fact]
    public async Task Malformed_chunked_body_gets_400_in_openai_shape()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(fixture.Gateway.BaseAddress.Host, fixture.Gateway.BaseAddress.Port);
        var stream = tcp.GetStream();
        var raw = "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
            + $"Authorization: Bearer {key.Secret}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "ZZ-not-a-chunk-size\r\nhello\r\n0\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(raw));

        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"invalid_request_body\"", response, StringComparison.Ordinal);
        Assert.Contains("x-request-id: req_", response, StringComparison.OrdinalIgnoreCase);
    }

    private static HttpRequestMessage Post(TestKey key, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
        return request;
    }
}
