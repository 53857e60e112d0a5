using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Maas.Benchmarks.Platform;

/// <summary>
/// Stands in for the api behind the gateway with the cheapest possible answers: a fixed, empty model list at
/// /v1/models and "Healthy" at /health/live (YARP's active health checks), so what is measured is the gateway.
/// </summary>
public sealed class StaticUpstream : IAsyncDisposable
{
    private const string EmptyModelList = """{"object":"list","data":[]}""";

    private readonly WebApplication _app;

    private StaticUpstream(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<StaticUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapGet("/health/live", () => Results.Text("Healthy"));
        app.MapGet("/v1/models", () => Results.Text(EmptyModelList, "application/json"));
        await app.StartAsync();
        return new StaticUpstream(app, app.ListeningAddress());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
