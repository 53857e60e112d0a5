namespace Maas.Testing;

/// <summary>Where the real PostgreSQL and Redis that `make test` starts (infra/dev/deps.sh) listen, and where the repository's fixtures are.</summary>
public static class TestEnvironment
{
    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable("MAAS_POSTGRES") is { Length: > 0 } cs
            ? cs
            : "Host=127.0.0.1;Port=55432;Username=maas;Password=maas;Database=maas";

    public static string RedisConfiguration =>
        Environment.GetEnvironmentVariable("MAAS_REDIS") is { Length: > 0 } r ? r : "127.0.0.1:56379";

    /// <summary>The repository root, found by walking up to Maas.sln.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Maas.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Maas.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Fixture(params string[] parts) => Path.Combine([RepositoryRoot, "tests", "fixtures", .. parts]);

    /// <summary>The committed DeepSeek-V3 tokenizer files (infra/models/deepseek-v3-tokenizer), used by every generated test checkpoint.</summary>
    public static string DeepSeekV3TokenizerFolder => Path.Combine(RepositoryRoot, "infra", "models", "deepseek-v3-tokenizer");
}
