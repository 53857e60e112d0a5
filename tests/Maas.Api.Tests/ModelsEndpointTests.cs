using System.Net;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>GET /v1/models shows each tenant only the models it may use.</summary>
[Collection(ApiCollection.Name)]
public sealed class ModelsEndpointTests(ApiHostFixture api)
{
    [Fact]
    public async Task Models_list_contains_only_the_tenants_allowed_models()
    {
        var forA = await ListAsync(SeededTenants.A);
        var forB = await ListAsync(SeededTenants.B);
        var forAll = await ListAsync(SeededTenants.All);

        Assert.Equal([SeededTenants.ModelA], forA);
        Assert.Equal([SeededTenants.ModelB], forB);
        Assert.Equal([SeededTenants.ModelA, SeededTenants.ModelB], forAll);
    }

    [Fact]
    public async Task Models_list_has_the_openai_list_shape()
    {
        using var response = await api.Http.SendAsync(api.Requests.Get("/v1/models", SeededTenants.A));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        var model = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("maas", model.GetProperty("owned_by").GetString());
        Assert.True(model.GetProperty("created").GetInt64() > 0);
    }

    [Fact]
    public async Task Get_model_returns_an_allowed_model()
    {
        using var response = await api.Http.SendAsync(api.Requests.Get("/v1/models/" + SeededTenants.ModelA, SeededTenants.A));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SeededTenants.ModelA, json.RootElement.GetProperty("id").GetString());
        Assert.Equal("model", json.RootElement.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Get_model_the_tenant_may_not_use_is_404_model_not_found()
    {
        using var response = await api.Http.SendAsync(api.Requests.Get("/v1/models/" + SeededTenants.ModelB, SeededTenants.A));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound, "model_not_found");
    }

    [Fact]
    public async Task Get_unknown_model_is_404_model_not_found()
    {
        using var response = await api.Http.SendAsync(api.Requests.Get("/v1/models/no-such-model", SeededTenants.All));

        await OpenAiErrorAssert.IsErrorAsync(response, HttpStatusCode.NotFound, "model_not_found");
    }

    private async Task<string[]> ListAsync(string tenant)
    {
        using var response = await api.Http.SendAsync(api.Requests.Get("/v1/models", tenant));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }
}
