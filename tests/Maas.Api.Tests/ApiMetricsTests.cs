using System.Net;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>/metrics exposes the api's request metrics in Prometheus text format.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiMetricsTests(ApiHostFixture api)
{
    [Fact]
    public async Task Refused_generation_is_counted_by_endpoint_and_status()
    {
        const string body = """{ "model": "model-b", "messages": [{"role": "user", "content": "hi"}] }""";
        using (var refused = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", SeededTenants.A, body)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var before = Count(await api.Host.Management.GetStringAsync("/metrics"));
        using (var again = await api.Http.SendAsync(api.Requests.Post("/v1/chat/completions", SeededTenants.A, body)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        }

        var after = Count(await api.Host.Management.GetStringAsync("/metrics"));

        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task Metrics_and_health_endpoints_need_no_gateway_signature()
    {
        using var metrics = await api.Host.Management.GetAsync("/metrics");
        using var ready = await api.Host.Management.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("# TYPE http_requests_received_total counter", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static double Count(string metrics)
    {
        const string series = "maas_api_requests_total{endpoint=\"chat.completions\",status=\"403\"} ";
        var line = metrics.Split('\n').Single(l => l.StartsWith(series, StringComparison.Ordinal));
        return double.Parse(line[series.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
