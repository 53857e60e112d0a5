using System.Globalization;

namespace Maas.EndToEnd.Tests;

/// <summary>Reads one sample out of a Prometheus text exposition (the services' /metrics).</summary>
public static class PrometheusText
{
    public static async Task<double> ReadAsync(Uri service, string series)
    {
        using var http = new HttpClient { BaseAddress = service };
        var text = await http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line.AsSpan(series.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
