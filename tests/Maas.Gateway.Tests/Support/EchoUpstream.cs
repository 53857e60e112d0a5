using Maas.Infrastructure.Tenancy;
using System.Collections.Concurrent;
using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Maas.Gateway.Tests.Support;

/// <summary>
/// A real upstream on loopback standing in for the api: echoes what it received as JSON, serves
/// /health/live for YARP's active checks, and streams SSE from /v1/stream?gate=ID, holding the
/// stream open after the first event until the test calls <see cref="Release"/>.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _finished = new();
    private int _healthProbes;

    private EchoUpstream(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>How many times /health/live was asked (YARP's active health checks: the api answers nothing else on its public port).</summary>
    public int HealthProbes => Volatile.Read(ref _healthProbes);

    public static async Task<EchoUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new EchoUpstream(app);
        app.Urls.Add("http://127.0.0.1:0");
        app.MapGet("/health/live", () =>
        {
            Interlocked.Increment(ref upstream._healthProbes);
            return Results.Text("Healthy");
        });
        app.MapGet("/v1/stream", upstream.StreamAsync);
        app.Map("/{**path}", EchoAsync);
        await app.StartAsync();
        upstream.BaseAddress = app.ListeningAddress();
        return upstream;
    }

    /// <summary>Lets the SSE stream with this gate id send its final event and finish.</summary>
    public void Release(string gate) => Gate(_gates, gate).TrySetResult();

    /// <summary>Completes when the SSE stream with this gate id has written its last byte.</summary>
    public Task Finished(string gate) => Gate(_finished, gate).Task;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource Gate(ConcurrentDictionary<string, TaskCompletionSource> gates, string id) =>
        gates.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private static async Task EchoAsync(HttpContext context)
    {
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        await context.Response.WriteAsJsonAsync(
            new EchoedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body.Length, GatewaySignature.HashBody(body.ToArray())),
            context.RequestAborted);
    }

    private async Task StreamAsync(HttpContext context, string gate)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: first\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await Gate(_gates, gate).Task.WaitAsync(TimeSpan.FromSeconds(30), context.RequestAborted);
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        Gate(_finished, gate).TrySetResult();
    }
}
