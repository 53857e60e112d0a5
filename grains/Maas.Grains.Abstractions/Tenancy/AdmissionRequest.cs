namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// What a request wants to consume, as known before it runs: the worst case reserved against budgets. Admission
/// happens before tokenizing, so <see cref="PromptTokens"/> is an upper bound (the prompt's UTF-8 length plus the
/// template's tokens, capped at the context) and <see cref="MaxTokens"/> the most the engine may generate (the
/// request's max_tokens, or the pipeline's default for the shortest prompt). <see cref="FineTune"/> names the tenant
/// fine-tune of <see cref="Model"/> the request runs, so the reservation uses its own price where it has one.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string KeyId,
    [property: Id(2)] string Model,
    [property: Id(3)] int MaxTokens,
    [property: Id(4)] int PromptTokens,
    [property: Id(5)] string? FineTune = null);
