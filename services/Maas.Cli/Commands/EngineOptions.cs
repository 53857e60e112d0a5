using System.CommandLine;
using Maas.Engine;

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

    public static WeightPrecision Weights(ParseResult parseResult, Option<string> option) => parseResult.GetValue(option) switch
    {
        "f32" => WeightPrecision.F32,
        "bf16" => WeightPrecision.Bf16,
        "fp8" => WeightPrecision.Fp8,
        "q8" => WeightPrecision.Q8,
        _ => WeightPrecision.Native,
    };
}
