using Maas.Engine.Tokenization;

namespace Maas.Engine.Tests.Tokenization;

/// <summary>Paths of the committed tokenizer assets and fixtures, and one shared loaded tokenizer (loading takes ~1 s).</summary>
internal static class TokenizerAssets
{
    private static readonly Lazy<TextTokenizer> Shared = new(() => TextTokenizer.Load(DeepSeekV3Folder));

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string DeepSeekV3Folder => Path.Combine(RepositoryRoot, "infra", "models", "deepseek-v3-tokenizer");

    public static string GoldenFolder => Path.Combine(RepositoryRoot, "tests", "fixtures", "golden", "tokenizer-deepseek-v3");

    public static TextTokenizer DeepSeekV3 => Shared.Value;

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Maas.sln not found above {AppContext.BaseDirectory}");
    }
}
