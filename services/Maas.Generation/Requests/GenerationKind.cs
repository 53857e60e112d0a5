namespace Maas.Generation.Requests;

/// <summary>Which OpenAI endpoint a generation came through.</summary>
public enum GenerationKind
{
    /// <summary>POST /v1/chat/completions.</summary>
    Chat,

    /// <summary>POST /v1/completions.</summary>
    Completion,
}
