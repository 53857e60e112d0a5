using Maas.Api.Completions.Wire;

namespace Maas.Api.Completions;

/// <summary>The fields every response object and chunk of one request shares.</summary>
public sealed record ResponseShape(GenerationKind Kind, string Id, long Created, string Model)
{
    public ChatCompletionChunk ChatChunk(ChatDelta delta, ChatLogprobs? logprobs, string? finishReason) =>
        new(Id, Created, Model, [new ChatChunkChoice(0, delta, logprobs, finishReason)], null, null);

    public TextCompletion TextChunk(string text, TextLogprobs? logprobs, string? finishReason) =>
        new(Id, Created, Model, [new TextChoice(text, 0, logprobs, finishReason)], null, null);
}
