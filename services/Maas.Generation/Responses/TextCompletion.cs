namespace Maas.Generation.Responses;

/// <summary>OpenAI text_completion (the response, and each streamed chunk).</summary>
public sealed record TextCompletion(string Id, long Created, string Model, IReadOnlyList<TextChoice> Choices, CompletionUsage? Usage, string? SystemFingerprint)
{
    public string Object => "text_completion";
}
