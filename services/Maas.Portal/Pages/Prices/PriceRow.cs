using Maas.Infrastructure.Persistence;

namespace Maas.Portal.Pages.Prices;

/// <summary>A price-book row with when it stops applying (the next row of its model and fine-tune) and its state now.</summary>
public sealed record PriceRow(ModelPrice Price, DateTimeOffset? Until, string State)
{
    public const string Past = "past";
    public const string InEffect = "in effect";
    public const string Scheduled = "scheduled";
}
