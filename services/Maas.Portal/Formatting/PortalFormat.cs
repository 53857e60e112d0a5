using System.Globalization;
using Maas.Infrastructure.Billing;

namespace Maas.Portal.Formatting;

/// <summary>How the portal writes numbers and times: invariant culture, UTC, money in the currency's minor unit.</summary>
public static class PortalFormat
{
    public static string Money(decimal amount, string? currency)
    {
        var digits = InvoiceService.MinorUnits(currency ?? "USD");
        var text = Math.Round(amount, digits, MidpointRounding.AwayFromZero).ToString("N" + digits, CultureInfo.InvariantCulture);
        return currency is null ? text : text + " " + currency;
    }

    /// <summary>A price per million tokens as stored (all its digits, none added).</summary>
    public static string Price(decimal perMillion) => perMillion.ToString("0.##########", CultureInfo.InvariantCulture);

    public static string Tokens(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "";

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>"1.2k", "3.4M": axis labels.</summary>
    public static string Compact(double value) => value switch
    {
        >= 1e9 => (value / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0", CultureInfo.InvariantCulture),
    };
}
