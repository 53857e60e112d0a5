namespace Maas.Generation.Responses;

/// <summary>OpenAI chat.completion.chunk (one server-sent event); the usage chunk has empty choices.</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, CompletionUsage? Usage, string? SystemFingerprint)
{
    public string Object => "chat.completion.chunk";
}
