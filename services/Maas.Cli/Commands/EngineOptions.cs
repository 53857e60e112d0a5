using System.CommandLine;
using Maas.Engine;
using Maas.Engine.Kernels;

namespace Maas.Cli.Commands;

/// <summary>Options shared by the commands that load a model (generate, bench, check-golden).</summary>
public static class EngineOptions
{
    public static Option<string> WeightsOption()
    {
        var option = new Option<string>("--weights") { Description = "native | f32 | bf16 | fp8 | q8: how weights are held after loading", DefaultValueFactory = _ => "native" };
        option.AcceptOnlyFromAmong("native", "f32", "bf16", "fp8", "q8");
        return option;
    }

    public static Option<int> ThreadsOption() => new("--threads") { Description = "Compute threads (default: one per core)" };

    public static Option<string?> SimdOption() =>
        new("--simd") { Description = "scalar | vector128 | avx2 | avx-vnni | avx512: force a narrower kernel path (default: MAAS_ENGINE_SIMD, else the widest the CPU has)" };

    public static SimdLevel? Simd(ParseResult parseResult, Option<string?> option) =>
        parseResult.GetValue(option) is { Length: > 0 } name ? SimdSupport.Parse(name) : null;

    /// <summary>The CPU's model name (Linux /proc/cpuinfo), else the architecture.</summary>
    public static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is > 0 and var colon)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    public static WeightPrecision Weights(ParseResult parseResult, Option<string> option) => parseResult.GetValue(option) switch
    {
        "f32" => WeightPrecision.F32,
        "bf16" => WeightPrecision.Bf16,
        "fp8" => WeightPrecision.Fp8,
        "q8" => WeightPrecision.Q8,
        _ => WeightPrecision.Native,
    };
}
