using System.Globalization;

namespace Maas.Benchmarks.Platform;

/// <summary>"--name value" arguments of the platform harnesses.</summary>
public static class HarnessArguments
{
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
