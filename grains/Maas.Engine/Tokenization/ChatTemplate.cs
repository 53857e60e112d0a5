namespace Maas.Engine.Tokenization;

/// <summary>Renders chat messages into prompt text in a model family's format (DeepSeek V2, V3).</summary>
public sealed class ChatTemplate
{
    private ChatTemplate()
    {
    }

    /// <summary>Picks the family from the folder's tokenizer_config.json / config.json.</summary>
    public static ChatTemplate ForModel(string modelFolder) => throw new NotImplementedException("contract stub: engine-text implements it");

    /// <summary>Prompt text including BOS when the family's template writes it.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) => throw new NotImplementedException();
}
