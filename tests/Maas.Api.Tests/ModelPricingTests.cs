using System.Net;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// A served model with no price is a configuration error surfaced at start-up (the "pricing" readiness check) and
/// refused per request with 503 model_not_priced, never served at a silent zero. Its own api host: no worker needed.
/// </summary>
public sealed class ModelPricingTests : IAsyncLifetime
{
    private const string UnpricedModel = "model-unpriced";
    private ApiHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await ApiHost.StartAsync([(SeededTenants.ModelA, SeededTenants.GoldenModelFolder), (UnpricedModel, SeededTenants.GoldenModelFolder)]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Readiness_names_the_model_without_a_price_as_degraded()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var ready = await _host.Management.GetAsync("/health/ready");
            var text = await ready.Content.ReadAsStringAsync();
            if (text.Contains(UnpricedModel, StringComparison.Ordinal))
            {
                Assert.Contains("Degraded", text, StringComparison.Ordinal);
                Assert.DoesNotContain(SeededTenants.ModelA + ",", text, StringComparison.Ordinal);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the pricing check never named the unpriced model: " + text);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_request_for_the_model_is_refused_with_503_model_not_priced()
    {
        const string body = """{ "model": "model-unpriced", "prompt": "Status", "max_tokens": 4 }""";
        using var response = await _host.Http.SendAsync(_host.Requests.Post("/v1/completions", SeededTenants.All, body));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("model_not_priced", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(response.Headers.Contains("Retry-After"));
    }
}
