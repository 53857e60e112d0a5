namespace Maas.Infrastructure.Redis;

/// <summary>One counter to check: at most <paramref name="Limit"/> requests per <paramref name="Window"/> under <paramref name="Key"/>.</summary>
/// <param name="Key">Redis key of the counter, e.g. "maas:rl:key:{id}"; shared by every process that enforces it.</param>
/// <param name="Limit">Requests allowed per window; must be positive.</param>
/// <param name="Window">Fixed window length.</param>
public sealed record RateLimitRule(string Key, int Limit, TimeSpan Window);
