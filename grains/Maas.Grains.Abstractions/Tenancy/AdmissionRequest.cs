namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>
/// What a request wants to consume, as known before it runs: its prompt tokens and the max_tokens actually applied
/// (the request's own, or the pipeline's default), so the worst-case cost reserved against budgets is the real bound.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string KeyId,
    [property: Id(2)] string Model,
    [property: Id(3)] int MaxTokens,
    [property: Id(4)] int PromptTokens);
