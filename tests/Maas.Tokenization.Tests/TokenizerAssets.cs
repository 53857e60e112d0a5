using Maas.Testing;
using Maas.Tokenization;

namespace Maas.Tokenization.Tests;

/// <summary>Paths of the committed tokenizer assets and fixtures, and one shared loaded tokenizer (loading takes ~1 s).</summary>
internal static class TokenizerAssets
{
    private static readonly Lazy<TextTokenizer> Shared = new(() => TextTokenizer.Load(DeepSeekV3Folder));

    public static string DeepSeekV3Folder => TestEnvironment.DeepSeekV3TokenizerFolder;

    public static string GoldenFolder => TestEnvironment.Fixture("golden", "tokenizer-deepseek-v3");

    public static TextTokenizer DeepSeekV3 => Shared.Value;
}
