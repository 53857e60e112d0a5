using System.CommandLine;
using System.Diagnostics;
using Maas.Engine.Tools.Gguf;

namespace Maas.Cli.Commands;

/// <summary>`maas model export-gguf`: the checkpoint as a llama.cpp GGUF (Q8_0), to benchmark the engine against llama.cpp on the same weights.</summary>
public static class ModelExportGgufCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (DeepSeek-V2/V3, Hugging Face layout)", Required = true };
        var output = new Option<string>("--out") { Description = "Output .gguf file", Required = true };
        var command = new Command("export-gguf", "Write the checkpoint as a llama.cpp \"deepseek2\" GGUF with Q8_0 weights (8.5 bits per weight, as --weights q8)")
        {
            model, output,
        };
        command.SetMaasAction((parseResult, console, cancellationToken) =>
        {
            var file = Path.GetFullPath(parseResult.GetValue(output)!);
            var watch = Stopwatch.StartNew();
            int tensors = DeepseekGgufExport.Write(Path.GetFullPath(parseResult.GetValue(model)!), file, cancellationToken, TerminalProgressBar.For(parseResult, "writing GGUF"));
            Console.WriteLine($"wrote {file} ({tensors} tensors, {new FileInfo(file).Length / 1e9:F2} GB, {watch.Elapsed.TotalSeconds:F1} s)");
            return 0;
        });
        return command;
    }
}
