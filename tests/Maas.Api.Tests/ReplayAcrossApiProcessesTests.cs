using System.Net;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>
/// Issue 16, item 5: a request id is claimed in Redis, so signed headers accepted by one api process are refused by
/// another within the signature window (the local memory of each process alone could not see it).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ReplayAcrossApiProcessesTests(ApiHostFixture api) : IAsyncLifetime
{
    private ApiHost _other = null!;

    public async Task InitializeAsync() => _other = await ApiHost.StartAsync([(SeededTenants.ModelA, SeededTenants.GoldenModelFolder)]);

    public async Task DisposeAsync() => await _other.DisposeAsync();

    [Fact]
    public async Task Signed_headers_accepted_by_one_api_are_refused_by_another()
    {
        using var original = api.Requests.Get("/v1/models", SeededTenants.A);
        using var replay = SignedRequests.Resend(original, body: null);

        using var accepted = await api.Http.SendAsync(original);
        using var refused = await _other.Http.SendAsync(replay);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await OpenAiErrorAssert.IsErrorAsync(refused, HttpStatusCode.Unauthorized, "replayed_request");
    }
}
