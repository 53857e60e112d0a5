namespace Maas.Api.Usage;

/// <summary>
/// Usage and cost of one bucket, for one model and/or key when grouped so (null otherwise). Token names follow OpenAI's
/// completions usage (input_tokens includes input_cached_tokens); the cost is exact, in the price book's currency.
/// </summary>
public sealed record UsageResult(
    string? Model,
    string? ApiKeyId,
    long NumModelRequests,
    long InputTokens,
    long InputCachedTokens,
    long OutputTokens,
    UsageAmount Cost)
{
    public string Object => "usage.result";
}
