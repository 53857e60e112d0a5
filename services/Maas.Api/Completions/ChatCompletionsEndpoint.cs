namespace Maas.Api.Completions;

public static class ChatCompletionsEndpoint
{
    /// <summary>POST /v1/chat/completions (OpenAI chat completions, streaming and not).</summary>
    public static RouteGroupBuilder MapChatCompletionsEndpoint(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", (HttpContext context, GenerationService generation) => generation.HandleAsync(context, GenerationKind.Chat));
        return v1;
    }
}
