using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>One api host with two models (model-a, model-b) that point at a golden checkpoint folder; no worker.</summary>
public sealed class ApiHostFixture : IAsyncLifetime
{
    private ApiHost? _host;

    public ApiHost Host => _host ?? throw new InvalidOperationException("The api host has not started.");

    public HttpClient Http => Host.Http;

    public SignedRequests Requests => Host.Requests;

    public IGrainFactory Grains => Host.Grains;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync([(SeededTenants.ModelA, SeededTenants.GoldenModelFolder), (SeededTenants.ModelB, SeededTenants.GoldenModelFolder)]);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
