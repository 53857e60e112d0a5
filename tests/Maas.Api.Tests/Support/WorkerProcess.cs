using System.Diagnostics;
using System.Globalization;
using System.Text;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>
/// A real services/Maas.Worker process (built alongside this project) joining the api's cluster and
/// serving one model; started and killed by the test.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a worker serving one model and waits until <paramref name="healthPath"/> answers 200.</summary>
    public static async Task<WorkerProcess> StartAsync(ApiHost api, string modelId, string modelPath, TimeSpan timeout, string healthPath = "/health/ready")
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var folder = Path.Combine(TestEnvironment.RepositoryRoot, "services", "Maas.Worker", "bin", configuration, "net10.0");
        var dll = Path.Combine(folder, "Maas.Worker.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build services/Maas.Worker first.", dll);
        }

        var httpPort = FreePort.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            dll,
            "--urls", $"http://127.0.0.1:{httpPort}",
            "--ConnectionStrings:Postgres", api.Database.ConnectionString,
            "--Maas:Orleans:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--Maas:Orleans:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--Maas:Orleans:PrimarySiloEndpoint", $"127.0.0.1:{api.SiloPort}",
            "--Maas:Orleans:ClusterId", api.ClusterId,
            "--Maas:Models:0:Id", modelId,
            "--Maas:Models:0:Path", modelPath,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the worker.");
        var worker = new WorkerProcess(process, new Uri($"http://127.0.0.1:{httpPort}"));
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await worker.WaitUntilHealthyAsync(healthPath, timeout);
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(string healthPath, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The worker exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(healthPath);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy loading.
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"The worker's {healthPath} did not answer 200 within {timeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
