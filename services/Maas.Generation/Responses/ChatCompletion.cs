namespace Maas.Generation.Responses;

/// <summary>OpenAI chat.completion (non-streaming response).</summary>
public sealed record ChatCompletion(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, CompletionUsage Usage, string? SystemFingerprint)
{
    public string Object => "chat.completion";
}
