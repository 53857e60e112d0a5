using System.Text.Json.Serialization;

namespace Maas.Infrastructure.OpenAi;

/// <summary>The body of an OpenAI error: {"error": {"message", "type", "param", "code"}}; param and code are written even when null.</summary>
public sealed record OpenAiError(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
