namespace Maas.Cli.Commands;

/// <summary>Plain, left-aligned text columns for list commands.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params object?[] cells)
    {
        _rows.Add([.. cells.Select(Format)]);
    }

    public async Task WriteAsync(TextWriter output)
    {
        if (_rows.Count == 0)
        {
            await output.WriteLineAsync("(none)");
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Max(r => r[i].Length))).ToArray();
        await output.WriteLineAsync(Line(headers, widths));
        foreach (var row in _rows)
        {
            await output.WriteLineAsync(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();

    private static string Format(object? cell) => cell switch
    {
        null => "-",
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        _ => Convert.ToString(cell, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
