using System.Globalization;

namespace Maas.Portal.Charts;

/// <summary>
/// Month-to-date spend against a monthly budget as a small SVG bar (an SVG attribute, not a style, sets its width, so
/// the portal's content security policy can forbid inline styles): green, amber from 80 %, red at or over the budget.
/// </summary>
public static class BudgetBar
{
    public const double WarnAt = 0.8;

    /// <summary>Spend / budget (0 when there is no budget or it is zero and nothing was spent).</summary>
    public static double Fraction(decimal spent, decimal? budget) => budget switch
    {
        null => 0,
        0 => spent > 0 ? double.PositiveInfinity : 0,
        { } b => (double)(spent / b),
    };

    public static string State(decimal spent, decimal? budget)
    {
        var fraction = Fraction(spent, budget);
        return budget is null ? "none" : fraction >= 1 ? "over" : fraction >= WarnAt ? "warn" : "ok";
    }

    public static string Render(decimal spent, decimal? budget)
    {
        if (budget is null)
        {
            return "";
        }

        var fraction = Fraction(spent, budget);
        var state = State(spent, budget);
        var fill = state switch { "over" => "#dc2626", "warn" => "#f59e0b", _ => "#16a34a" };
        var width = 120 * Math.Clamp(fraction, 0, 1);
        var percent = double.IsInfinity(fraction) ? "∞" : (fraction * 100).ToString("0", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"<svg class=\"budget-bar\" data-state=\"{state}\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\" role=\"img\" aria-label=\"{percent}% of budget\"><rect width=\"120\" height=\"10\" rx=\"2\" fill=\"#e5e7eb\"/><rect width=\"{width:0.##}\" height=\"10\" rx=\"2\" fill=\"{fill}\"/><title>{percent}% of the monthly budget</title></svg>");
    }
}
