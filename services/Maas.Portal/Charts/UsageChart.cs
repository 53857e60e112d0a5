using System.Globalization;
using System.Net;
using System.Text;
using Maas.Infrastructure.Billing;
using Maas.Portal.Formatting;

namespace Maas.Portal.Charts;

/// <summary>
/// A tenant's tokens by UTC day and model as an SVG bar chart rendered on the server (no script, no CDN: the portal
/// works offline in a plant's network): one bar per model and day, stacked input cache-miss, input cache-hit and
/// output tokens. Every segment carries data-day, data-model, data-class and data-tokens, and a title for people.
/// </summary>
public static class UsageChart
{
    public const string InputCacheMiss = TokenClasses.InputCacheMiss;
    public const string InputCacheHit = TokenClasses.InputCacheHit;
    public const string Output = TokenClasses.Output;

    private const double Width = 960;
    private const double PlotHeight = 240;
    private const double Left = 64;
    private const double Right = 16;
    private const double Top = 16;
    private const double AxisBand = 28;
    private const double LegendRow = 20;

    /// <summary>(cache-miss input, cache-hit input, output) shades per model, one hue each.</summary>
    private static readonly string[][] Palette =
    [
        ["#3b82f6", "#bfdbfe", "#1e3a8a"],
        ["#22c55e", "#bbf7d0", "#14532d"],
        ["#a855f7", "#e9d5ff", "#581c87"],
        ["#f97316", "#fed7aa", "#7c2d12"],
        ["#06b6d4", "#a5f3fc", "#164e63"],
        ["#ec4899", "#fbcfe8", "#831843"],
    ];

    /// <summary>The bars of a report grouped by day and model (<see cref="UsageReport.QueryAsync"/> with Day | Model).</summary>
    public static IReadOnlyList<UsageChartBar> Bars(IEnumerable<UsageBucket> byDayAndModel) =>
        byDayAndModel
            .Where(b => b.Model is not null)
            .Select(b => new UsageChartBar(b.Start, b.Model!, b.PromptTokens - b.CachedPromptTokens, b.CachedPromptTokens, b.CompletionTokens))
            .ToList();

    public static string Render(IReadOnlyList<UsageChartBar> bars, DateTimeOffset firstDay, int days)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var models = bars.Select(b => b.Model).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var height = Top + PlotHeight + AxisBand + LegendRow * Math.Max(1, models.Count) + 8;
        var plotWidth = Width - Left - Right;
        var slot = plotWidth / days;
        var yMax = NiceCeiling(bars.Count == 0 ? 0 : bars.Max(b => b.Total));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"usage-chart\" viewBox=\"0 0 {Width} {N(height)}\" role=\"img\" aria-label=\"Tokens per day and model\">");
        svg.Append("<title>Tokens per UTC day and model: input (cache miss), input (cache hit), output</title>");

        // Horizontal grid with token counts.
        for (var i = 0; i <= 4; i++)
        {
            var value = yMax * i / 4;
            var y = Top + PlotHeight - (PlotHeight * i / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(Left)}\" x2=\"{N(Width - Right)}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"#e5e7eb\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\" font-size=\"11\" fill=\"#6b7280\">{PortalFormat.Compact(value)}</text>");
        }

        var labelEvery = (int)Math.Ceiling(days / 10.0);
        for (var d = 0; d < days; d++)
        {
            var day = firstDay.AddDays(d);
            if (d % labelEvery == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + slot * (d + 0.5))}\" y=\"{N(Top + PlotHeight + 16)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#6b7280\">{day.UtcDateTime:MM-dd}</text>");
            }
        }

        if (bars.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + plotWidth / 2)}\" y=\"{N(Top + PlotHeight / 2)}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#6b7280\">No usage in this period</text>");
        }

        var barWidth = slot * 0.8 / Math.Max(1, models.Count);
        foreach (var bar in bars)
        {
            var d = (int)Math.Round((bar.Day - firstDay).TotalDays);
            if (d < 0 || d >= days)
            {
                continue;
            }

            var m = models.IndexOf(bar.Model);
            var x = Left + slot * d + slot * 0.1 + barWidth * m;
            var bottom = Top + PlotHeight;
            var shades = Palette[m % Palette.Length];
            foreach (var (tokenClass, tokens, shade) in new[] { (InputCacheMiss, bar.InputCacheMiss, shades[0]), (InputCacheHit, bar.InputCacheHit, shades[1]), (Output, bar.Output, shades[2]) })
            {
                var h = yMax == 0 ? 0 : PlotHeight * tokens / yMax;
                bottom -= h;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"segment\" x=\"{N(x)}\" y=\"{N(bottom)}\" width=\"{N(Math.Max(1, barWidth - 1))}\" height=\"{N(h)}\" fill=\"{shade}\" data-day=\"{PortalFormat.Day(bar.Day)}\" data-model=\"{E(bar.Model)}\" data-class=\"{tokenClass}\" data-tokens=\"{tokens}\">");
                svg.Append(CultureInfo.InvariantCulture, $"<title>{PortalFormat.Day(bar.Day)} {E(bar.Model)}: {ClassName(tokenClass)} {PortalFormat.Tokens(tokens)} tokens</title></rect>");
            }
        }

        // Legend: one row per model, its three shades.
        for (var m = 0; m < models.Count; m++)
        {
            var y = Top + PlotHeight + AxisBand + LegendRow * m;
            var x = Left;
            var shades = Palette[m % Palette.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y + 10)}\" font-size=\"12\" font-weight=\"600\" fill=\"#111827\">{E(models[m])}</text>");
            x += 200;
            foreach (var (tokenClass, shade) in new[] { (InputCacheMiss, shades[0]), (InputCacheHit, shades[1]), (Output, shades[2]) })
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"12\" height=\"12\" fill=\"{shade}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + 16)}\" y=\"{N(y + 10)}\" font-size=\"12\" fill=\"#374151\">{ClassName(tokenClass)}</text>");
                x += 170;
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    public static string ClassName(string tokenClass) => tokenClass switch
    {
        InputCacheMiss => "input (cache miss)",
        InputCacheHit => "input (cache hit)",
        Output => "output",
        _ => tokenClass,
    };

    /// <summary>The smallest 1, 2, 2.5 or 5 times a power of ten at or above the value (an axis top).</summary>
    public static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
