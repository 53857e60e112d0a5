using Maas.Infrastructure.Persistence;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>The tenants and models every api test host is seeded with.</summary>
public static class TestTenants
{
    public const string ModelA = "model-a";
    public const string ModelB = "model-b";

    /// <summary>Context length of the golden checkpoint the test models point at (config.json max_position_embeddings).</summary>
    public const int ContextLength = 512;

    /// <summary>May use model-a only.</summary>
    public const string A = "tenant-a";

    /// <summary>May use model-b only.</summary>
    public const string B = "tenant-b";

    /// <summary>Empty allowed list: every model.</summary>
    public const string All = "tenant-all";

    /// <summary>Every model, one concurrent request.</summary>
    public const string Single = "tenant-single";

    public const string Disabled = "tenant-disabled";

    /// <summary>A real checkpoint folder (config.json) so the api reads the model's context length.</summary>
    /// <summary>
    /// A model folder the api can serve requests for up to admission: the golden tiny model's config plus
    /// the real DeepSeek-V3 tokenizer files (the api tokenizes before it admits). No worker loads it.
    /// </summary>
    public static string GoldenModelFolder => ModelFolder.Value;

    private static readonly Lazy<string> ModelFolder = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "maas-api-tests-model-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        File.Copy(TestEnvironment.Fixture("golden", "deepseek2-tiny-a", "config.json"), Path.Combine(folder, "config.json"), overwrite: true);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(TestEnvironment.RepositoryRoot, "infra", "models", "deepseek-v3-tokenizer", file), Path.Combine(folder, file), overwrite: true);
        }

        return folder;
    });

    public static async Task SeedAsync(PostgresTestDatabase database)
    {
        await using var db = database.CreateContext();
        db.Tenants.AddRange(
            new Tenant { Id = A, Name = "Tenant A", AllowedModels = [ModelA], MaxConcurrentRequests = 4 },
            new Tenant { Id = B, Name = "Tenant B", AllowedModels = [ModelB], MaxConcurrentRequests = 4 },
            new Tenant { Id = All, Name = "Tenant All", AllowedModels = [], MaxConcurrentRequests = 4 },
            new Tenant { Id = Single, Name = "Tenant Single", AllowedModels = [], MaxConcurrentRequests = 1 },
            new Tenant { Id = Disabled, Name = "Tenant Disabled", AllowedModels = [], Disabled = true });
        await db.SaveChangesAsync();
        await TestPrices.SeedAsync(database, ModelA, ModelB, GenerationFixture.Model, SiloClusterFixture.ModelX, SiloClusterFixture.ModelY);
    }
}
