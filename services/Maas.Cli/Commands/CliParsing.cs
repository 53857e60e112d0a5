using System.Globalization;

namespace Maas.Cli.Commands;

/// <summary>Parsing of the CLI's money, month and time arguments (invariant culture, UTC).</summary>
public static class CliParsing
{
    /// <summary>A decimal amount such as 0.27 (never a float: prices and budgets are exact).</summary>
    public static decimal Amount(string text, string option) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{option}: '{text}' is not a decimal amount such as 0.27.");

    /// <summary>A month as yyyy-MM, UTC.</summary>
    public static DateTimeOffset Month(string text, string option) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var month)
            ? month
            : throw new FormatException($"{option}: '{text}' is not a month such as 2026-11.");

    /// <summary>A date or time (ISO 8601, UTC unless it says otherwise), e.g. 2026-11-01 or 2026-11-01T12:00:00Z.</summary>
    public static DateTimeOffset Time(string text, string option) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new FormatException($"{option}: '{text}' is not a date or time such as 2026-11-01 or 2026-11-01T12:00:00Z.");

    public static string Money(decimal amount) => amount.ToString("0.00######", CultureInfo.InvariantCulture);
}
