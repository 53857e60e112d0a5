namespace Maas.Grains.Abstractions.Tenancy;

/// <summary>What an admitted request actually consumed, handed back at release so its budget reservation becomes its real cost.</summary>
[GenerateSerializer, Immutable, Alias("Maas.SettledUsage")]
public sealed record SettledUsage(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int CachedPromptTokens,
    [property: Id(2)] int CompletionTokens,
    [property: Id(3)] bool BatchPriced)
{
    /// <summary>Nothing consumed (the request failed before the engine ran).</summary>
    public static SettledUsage None { get; } = new(0, 0, 0, false);
}
