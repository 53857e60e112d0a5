using System.Globalization;

namespace Maas.Testing;

/// <summary>Starts a real services/Maas.Worker process that joins a test cluster's primary silo and serves one model.</summary>
public static class WorkerProcesses
{
    public static Task<ServiceProcess> StartAsync(PrimarySilo primary, string modelId, string modelPath, TimeSpan timeout, string healthPath = "/health/ready", IReadOnlyDictionary<string, string>? extraSettings = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = primary.PostgresConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{primary.SiloPort}",
            ["Maas:Orleans:ClusterId"] = primary.ClusterId,
            ["Maas:Models:0:Id"] = modelId,
            ["Maas:Models:0:Path"] = modelPath,
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return ServiceProcess.StartAsync("services", "Maas.Worker", settings, timeout, healthPath);
    }
}
