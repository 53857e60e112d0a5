using System.Text.Json;
using Maas.Infrastructure.OpenAi;

namespace Maas.Generation.Requests;

/// <summary>
/// OpenAI request fields this api does not implement, in one place: a request that sets one (to anything but null, or
/// false for a flag) is refused with 400 <c>unsupported_parameter</c> naming it, so no client believes it got what it
/// asked for. Fields not listed here and not read by <see cref="GenerationRequestBody"/> are not OpenAI's and are ignored.
/// </summary>
public static class UnsupportedParameters
{
    public static IReadOnlyList<string> Chat { get; } =
    [
        "functions", "function_call", "audio", "modalities", "prediction", "store", "metadata", "service_tier",
        "reasoning_effort", "web_search_options", "verbosity", "prompt_cache_key", "safety_identifier",
    ];

    public static IReadOnlyList<string> Completions { get; } =
    [
        "best_of", "echo", "suffix", "tools", "tool_choice", "parallel_tool_calls", "response_format",
    ];

    public static void Check(JsonElement root, GenerationKind kind)
    {
        foreach (var name in kind == GenerationKind.Chat ? Chat : Completions)
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
            {
                throw new ApiErrorException(ApiError.InvalidValue(name, $"'{name}' is not supported by this api.", "unsupported_parameter"));
            }
        }
    }
}
