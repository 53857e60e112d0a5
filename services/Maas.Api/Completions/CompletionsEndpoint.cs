namespace Maas.Api.Completions;

public static class CompletionsEndpoint
{
    /// <summary>POST /v1/completions (OpenAI legacy text completions, streaming and not).</summary>
    public static RouteGroupBuilder MapCompletionsEndpoint(this RouteGroupBuilder v1)
    {
        v1.MapPost("/completions", (HttpContext context, GenerationService generation) => generation.HandleAsync(context, GenerationKind.Completion));
        return v1;
    }
}
