using System.Text.Json.Serialization;

namespace Maas.Generation.Responses;

public sealed record ChatChoice(
    int Index,
    ChatResponseMessage Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs,
    string FinishReason);
