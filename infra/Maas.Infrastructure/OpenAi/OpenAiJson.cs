using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maas.Infrastructure.OpenAi;

/// <summary>The OpenAI wire format: snake_case names, nulls left out, numbers must be numbers.</summary>
public static class OpenAiJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,

        // Raw UTF-8 like OpenAI's responses: generated text is mostly non-ASCII for many plants' languages,
        // and the body is JSON, never HTML, so HTML-safe escaping only bloats it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
