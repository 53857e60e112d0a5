using System.Diagnostics;
using System.Text;

namespace Maas.Testing;

/// <summary>
/// One of our services (gateway, api, worker) as a real process, run from its build output with
/// command-line configuration, waited on until /health/ready answers 200 on its management listener, killed on
/// dispose. Its public listener (<see cref="Address"/>) and management listener (<see cref="ManagementAddress"/>,
/// /metrics and /health/ready) each get a free loopback port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(string name, Process process, Uri address, Uri managementAddress)
    {
        Name = name;
        _process = process;
        Address = address;
        ManagementAddress = managementAddress;
    }

    public string Name { get; }

    /// <summary>The public listener.</summary>
    public Uri Address { get; }

    /// <summary>The management listener: /metrics and the detailed /health/ready.</summary>
    public Uri ManagementAddress { get; }

    public bool HasExited => _process.HasExited;

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

    /// <summary>
    /// Starts e.g. ("services", "Maas.Worker") with settings passed as --Key value pairs (and, when given, environment
    /// variables such as Maas__ApiKeys__RevocationChannel) and waits until <paramref name="healthPath"/> answers 200 on
    /// the management listener.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        string folder,
        string project,
        IReadOnlyDictionary<string, string> settings,
        TimeSpan readyTimeout,
        string healthPath = "/health/ready",
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var port = FreePort.Next();
        var variables = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        var managementPort = FreePort.Next();
        var start = BuildOutput.DotnetStartInfo(BuildOutput.Assembly(folder, project), variables);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.ArgumentList.Add("--Maas:Management:Url");
        start.ArgumentList.Add($"http://127.0.0.1:{managementPort}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add("--" + key);
            start.ArgumentList.Add(value);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {project}.");
        var service = new ServiceProcess(project, process, new Uri($"http://127.0.0.1:{port}"), new Uri($"http://127.0.0.1:{managementPort}"));
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service.WaitUntilHealthyAsync(healthPath, readyTimeout, cancellationToken);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    /// <summary>Kills the process (as a crash would) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(string healthPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = ManagementAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(healthPath, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Busy starting.
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"{Name} did not answer {healthPath} with 200 within {timeout}:\n{Output}");
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
