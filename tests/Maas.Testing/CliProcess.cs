using System.Diagnostics;

namespace Maas.Testing;

/// <summary>
/// The `maas` CLI as an operator runs it: a real process from services/Maas.Cli's build output, with its own
/// environment (the CLI reads settings such as Maas__ApiKeys__RevocationChannel from there), waited on to exit.
/// </summary>
public static class CliProcess
{
    public static async Task<CliProcessResult> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = BuildOutput.DotnetStartInfo(BuildOutput.Assembly("services", "Maas.Cli", assemblyName: "maas"), environment);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start maas.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"maas {string.Join(' ', args)} did not exit within {timeout}.");
        }

        return new CliProcessResult(process.ExitCode, await output, await error);
    }
}
