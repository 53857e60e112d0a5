using System.Net;
using System.Text.Json;
using Maas.Api.Tests.Support;
using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Api.Tests;

/// <summary>Models registered in the PostgreSQL models table are served next to the configured ones.</summary>
public sealed class DatabaseModelsTests : IAsyncLifetime
{
    private ApiHost _api = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiHost.StartAsync(
            [(SeededTenants.ModelA, SeededTenants.GoldenModelFolder)],
            new Dictionary<string, string?> { ["Maas:ModelCatalog:RefreshInterval"] = "00:00:01" });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Enabled_model_added_to_the_table_appears_in_the_models_list_and_disabled_ones_do_not()
    {
        await using (var db = _api.Database.CreateContext())
        {
            db.Models.AddRange(
                new ModelRegistration { Id = "db-model", Path = SeededTenants.GoldenModelFolder, OwnedBy = "plant-3", CreatedAt = DateTimeOffset.UtcNow },
                new ModelRegistration { Id = "db-disabled", Path = SeededTenants.GoldenModelFolder, Enabled = false, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string[] ids;
        while (!(ids = await ListAsync()).Contains("db-model") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.Equal(["db-model", SeededTenants.ModelA], ids);
        using var model = await _api.Http.SendAsync(_api.Requests.Get("/v1/models/db-model", SeededTenants.All));
        using var json = JsonDocument.Parse(await model.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("plant-3", json.RootElement.GetProperty("owned_by").GetString());
        using var disabled = await _api.Http.SendAsync(_api.Requests.Get("/v1/models/db-disabled", SeededTenants.All));
        Assert.Equal(HttpStatusCode.NotFound, disabled.StatusCode);
    }

    private async Task<string[]> ListAsync()
    {
        using var response = await _api.Http.SendAsync(_api.Requests.Get("/v1/models", SeededTenants.All));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
    }
}
