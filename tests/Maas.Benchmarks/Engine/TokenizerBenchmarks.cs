using BenchmarkDotNet.Attributes;
using Maas.Tokenization;

namespace Maas.Benchmarks.Engine;

/// <summary>Tokenizer load and encode on the shipped DeepSeek-V3 tokenizer.json (8 MB, 128k entries).</summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private static readonly string Folder = Path.Combine(RepositoryRoot(), "infra", "models", "deepseek-v3-tokenizer");
    private TextTokenizer _tokenizer = null!;
    private string _text = "";
    private string _lessThan = "";
    private string _letters = "";

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = TextTokenizer.Load(Folder);
        _text = string.Concat(Enumerable.Repeat("Pump 7 on line 3 reports 1234 rpm; vibration 0.42 mm/s — 温度正常 ✅. ", 64));
        _lessThan = new string('<', 1 << 20);
        _letters = new string('a', 1 << 20);
    }

    [Benchmark]
    public TextTokenizer Load() => TextTokenizer.Load(Folder);

    [Benchmark]
    public int Encode4KB() => _tokenizer.Encode(_text).Length;

    /// <summary>A megabyte of '&lt;' as client text (issue 16: minutes before the linear added-token matcher and long-piece merge).</summary>
    [Benchmark]
    public int EncodeMegabyteOfLessThanAsText() => _tokenizer.Encode(_lessThan, AddedTokenHandling.AsText).Length;

    /// <summary>The same with added tokens recognised: every character is a candidate start of one.</summary>
    [Benchmark]
    public int EncodeMegabyteOfLessThanRecognizingAddedTokens() => _tokenizer.Encode(_lessThan, AddedTokenHandling.Recognize).Length;

    /// <summary>One megabyte-long word.</summary>
    [Benchmark]
    public int EncodeMegabyteOfLetters() => _tokenizer.Encode(_letters, AddedTokenHandling.AsText).Length;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maas.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Maas.sln not found");
    }
}
