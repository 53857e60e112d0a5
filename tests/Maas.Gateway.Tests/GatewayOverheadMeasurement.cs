using System.Diagnostics;
using System.Net;
using Maas.Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Maas.Gateway.Tests;

/// <summary>Prints the latency the gateway adds to a tiny request; informative, asserts only that requests succeed.</summary>
public sealed class GatewayOverheadMeasurement(GatewayFixture fixture, ITestOutputHelper output) : IClassFixture<GatewayFixture>
{
    private const int Warmup = 50;
    private const int Samples = 400;

    [Fact]
    public async Task Measure_gateway_overhead_on_a_tiny_request()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, tenantRequestsPerMinute: 1_000_000);
        using var direct = GatewayInstance.NewClient(fixture.Upstream.BaseAddress);

        var viaGateway = await MeasureAsync(() => fixture.Gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)));
        var straight = await MeasureAsync(() => direct.SendAsync(GatewayRequests.Get("/v1/models", null)));

        output.WriteLine($"direct : p50 {Percentile(straight, 0.50):F3} ms  p99 {Percentile(straight, 0.99):F3} ms");
        output.WriteLine($"gateway: p50 {Percentile(viaGateway, 0.50):F3} ms  p99 {Percentile(viaGateway, 0.99):F3} ms");
        Console.WriteLine($"[overhead] direct p50 {Percentile(straight, 0.50):F3} ms p99 {Percentile(straight, 0.99):F3} ms; gateway p50 {Percentile(viaGateway, 0.50):F3} ms p99 {Percentile(viaGateway, 0.99):F3} ms");
    }

    private static async Task<double[]> MeasureAsync(Func<Task<HttpResponseMessage>> send)
    {
        var samples = new double[Samples];
        for (var i = -Warmup; i < Samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await send();
            await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (i >= 0)
            {
                samples[i] = elapsed;
            }
        }

        Array.Sort(samples);
        return samples;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
