using System.Text.Json.Serialization;

namespace Maas.Generation.Responses;

/// <summary>
/// A streamed piece of a tool call, as OpenAI streams them: the first piece of call <see cref="Index"/> has its id,
/// type and function name (and arguments, possibly ""), later pieces only more argument text.
/// </summary>
public sealed record ChatToolCallDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int Index,
    string? Id,
    string? Type,
    ChatFunctionCallDelta Function);
