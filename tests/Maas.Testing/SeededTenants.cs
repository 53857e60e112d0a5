using Maas.Infrastructure.Persistence;

namespace Maas.Testing;

/// <summary>
/// The tenants and model ids that api and silo test databases are seeded with (<see cref="SeedAsync"/>), shared by
/// the api, grain and generation tests so a tenant means the same thing in each.
/// </summary>
public static class SeededTenants
{
    public const string ModelA = "model-a";
    public const string ModelB = "model-b";

    /// <summary>
    /// The model ids the test fixtures serve (api hosts, the generation fixtures, the silo cluster), priced by
    /// <see cref="SeedAsync"/>: a model without a price is refused at admission. Leave a model out to test exactly that.
    /// </summary>
    public static readonly string[] PricedModels = [ModelA, ModelB, "test-model", "pipeline-model", "model-x", "model-y", "model-128k", "model-without-tokenizer", "crash-model"];

    /// <summary>Context length of the golden checkpoint the test models point at (config.json max_position_embeddings).</summary>
    public const int ContextLength = 512;

    /// <summary>May use model-a only.</summary>
    public const string A = "tenant-a";

    /// <summary>Tenant B's plan (the silo tests give it scheduling weight 3; the other tenants are on "standard").</summary>
    public const string PremiumPlan = "premium";

    /// <summary>May use model-b only; on <see cref="PremiumPlan"/>.</summary>
    public const string B = "tenant-b";

    /// <summary>Empty allowed list: every model.</summary>
    public const string All = "tenant-all";

    /// <summary>Every model, one concurrent request.</summary>
    public const string Single = "tenant-single";

    public const string Disabled = "tenant-disabled";

    /// <summary>
    /// A model folder the api can serve requests for up to admission: the golden tiny model's config plus
    /// the real DeepSeek-V3 tokenizer files (the api tokenizes before it admits). No worker loads it.
    /// </summary>
    public static string GoldenModelFolder => ModelFolder.Value;

    private static readonly Lazy<string> ModelFolder = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "maas-tests-model-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        File.Copy(TestEnvironment.Fixture("golden", "deepseek2-tiny-a", "config.json"), Path.Combine(folder, "config.json"), overwrite: true);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(TestEnvironment.DeepSeekV3TokenizerFolder, file), Path.Combine(folder, file), overwrite: true);
        }

        return folder;
    });

    public static async Task SeedAsync(PostgresTestDatabase database)
    {
        await using var db = database.CreateContext();
        db.Tenants.AddRange(
            new Tenant { Id = A, Name = "Tenant A", AllowedModels = [ModelA], MaxConcurrentRequests = 4 },
            new Tenant { Id = B, Name = "Tenant B", Plan = PremiumPlan, AllowedModels = [ModelB], MaxConcurrentRequests = 4 },
            new Tenant { Id = All, Name = "Tenant All", AllowedModels = [], MaxConcurrentRequests = 4 },
            new Tenant { Id = Single, Name = "Tenant Single", AllowedModels = [], MaxConcurrentRequests = 1 },
            new Tenant { Id = Disabled, Name = "Tenant Disabled", AllowedModels = [], Disabled = true });
        await db.SaveChangesAsync();
        await TestPrices.SeedAsync(database, PricedModels);
    }
}
