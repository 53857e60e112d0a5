namespace Maas.Infrastructure.Redis;

/// <summary>State of one rule's counter after an acquire.</summary>
/// <param name="Rule">The rule this counter belongs to.</param>
/// <param name="Count">Requests counted in the current window, this one included when it was allowed.</param>
/// <param name="ResetAfter">Time until the current window ends and the counter starts again at zero.</param>
public sealed record RateLimitCounter(RateLimitRule Rule, long Count, TimeSpan ResetAfter)
{
    public long Remaining => Math.Max(0, Rule.Limit - Count);

    public bool Exhausted => Count >= Rule.Limit;
}
