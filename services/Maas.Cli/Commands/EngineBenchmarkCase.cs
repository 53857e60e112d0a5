using System.Globalization;

namespace Maas.Cli.Commands;

/// <summary>
/// One measurement of `maas bench engine`: Batch sequences each prefilled with Prompt tokens, then Steps decode steps;
/// or, with Context set, Steps decode steps over Context cached positions of random latents (no prefill).
/// </summary>
public readonly record struct EngineBenchmarkCase(int Batch, int Prompt, int Steps, int Context = 0)
{
    /// <summary>"BATCHxPROMPT[:STEPS]" as in --cases, e.g. "16x32:32" or "1x2048".</summary>
    public static EngineBenchmarkCase Parse(string text, int defaultSteps)
    {
        string[] stepsSplit = text.Split(':');
        string[] sizes = stepsSplit[0].Split('x', 'X');
        if (sizes.Length != 2 || stepsSplit.Length > 2
            || !int.TryParse(sizes[0], NumberStyles.None, CultureInfo.InvariantCulture, out int batch) || batch < 1
            || !int.TryParse(sizes[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prompt) || prompt < 1)
        {
            throw new ArgumentException($"case '{text}' is not BATCHxPROMPT[:STEPS], e.g. 16x32:32");
        }

        int steps = defaultSteps;
        if (stepsSplit.Length == 2 && (!int.TryParse(stepsSplit[1], NumberStyles.None, CultureInfo.InvariantCulture, out steps) || steps < 1))
        {
            throw new ArgumentException($"case '{text}': steps must be a positive integer");
        }

        return new EngineBenchmarkCase(batch, prompt, steps);
    }
}
