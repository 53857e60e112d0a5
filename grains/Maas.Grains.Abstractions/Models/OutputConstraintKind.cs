namespace Maas.Grains.Abstractions.Models;

/// <summary>What a constrained generation must produce.</summary>
[GenerateSerializer, Alias("Maas.OutputConstraintKind")]
public enum OutputConstraintKind
{
    /// <summary>response_format json_object: any JSON object.</summary>
    JsonObject = 0,

    /// <summary>response_format json_schema: JSON valid against <see cref="OutputConstraint.Schema"/>.</summary>
    JsonSchema = 1,

    /// <summary>tools: DeepSeek tool calls with arguments valid against each function's parameters.</summary>
    ToolCalls = 2,
}
