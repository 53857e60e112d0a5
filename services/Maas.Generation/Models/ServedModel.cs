using Maas.Tokenization;

namespace Maas.Generation.Models;

/// <summary>
/// A model as the api sees it: id, checkpoint folder, context length (from the folder's config.json), and
/// its tokenizer and chat template, loaded once on first use.
/// </summary>
public sealed class ServedModel(string id, string path, string ownedBy, int replicas, int contextLength, long created, bool specialTokensInPrompts = false)
{
    private readonly Lazy<TextTokenizer> _tokenizer = new(() => TextTokenizer.Load(path), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lazy<ChatTemplate> _chatTemplate = new(() => ChatTemplate.ForModel(path), LazyThreadSafetyMode.ExecutionAndPublication);

    public string Id { get; } = id;

    public string Path { get; } = path;

    public string OwnedBy { get; } = ownedBy;

    public int Replicas { get; } = replicas;

    public int ContextLength { get; } = contextLength;

    /// <summary>Whether /v1/completions prompts are encoded with special tokens recognised (<see cref="Infrastructure.Models.ServedModelOptions.SpecialTokensInPrompts"/>).</summary>
    public bool SpecialTokensInPrompts { get; } = specialTokensInPrompts;

    /// <summary>Unix seconds, for the OpenAI "created" field.</summary>
    public long Created { get; } = created;

    public TextTokenizer Tokenizer => _tokenizer.Value;

    public ChatTemplate ChatTemplate => _chatTemplate.Value;
}
