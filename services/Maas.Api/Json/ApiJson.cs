using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maas.Api.Json;

/// <summary>The OpenAI wire format: snake_case names, nulls left out, numbers must be numbers.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
    };
}
