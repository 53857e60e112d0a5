using System.Text.Json.Serialization;

namespace Maas.Gateway.Errors;

/// <summary>The inner object of an OpenAI error body.</summary>
public sealed record OpenAiError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
