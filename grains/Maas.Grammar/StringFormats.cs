namespace Maas.Grammar;

/// <summary>
/// JSON Schema string formats as patterns. Dates are valid calendar dates (days 29-31 only in months that always have
/// them, so no leap-year rule is needed); years 1000-9999.
/// </summary>
internal static class StringFormats
{
    private const string Date = "[1-9][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)";
    private const string Time = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";

    public static IReadOnlyList<string> Names { get; } = ["date-time", "date", "time", "uuid"];

    /// <summary>An anchored pattern for the format, or null when unsupported.</summary>
    public static string? Pattern(string format) => format switch
    {
        "date" => $"^{Date}$",
        "time" => $"^{Time}$",
        "date-time" => $"^{Date}T{Time}$",
        "uuid" => "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        _ => null,
    };
}
