using System.Text.Json.Serialization;

namespace Maas.Gateway.Errors;

/// <summary>OpenAI error body: {"error": {"message", "type", "param", "code"}}.</summary>
public sealed record OpenAiErrorResponse([property: JsonPropertyName("error")] OpenAiError Error);
