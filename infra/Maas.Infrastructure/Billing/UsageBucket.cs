namespace Maas.Infrastructure.Billing;

/// <summary>
/// One row of a usage report: the usage of one bucket (a UTC day, or the whole range) and, when grouped so, one model
/// or key. Tokens are whole counts; cost is exact (unrounded) in the price book's currency.
/// </summary>
public sealed record UsageBucket(
    DateTimeOffset Start,
    DateTimeOffset End,
    string? Model,
    string? KeyId,
    long Requests,
    long PromptTokens,
    long CachedPromptTokens,
    long CompletionTokens,
    decimal Cost);
