using System.Globalization;
using Maas.Testing;

namespace Maas.Api.Tests.Support;

/// <summary>Starts a real services/Maas.Worker process that joins an <see cref="ApiHost"/>'s cluster and serves one model.</summary>
public static class WorkerProcesses
{
    public static Task<ServiceProcess> StartAsync(ApiHost api, string modelId, string modelPath, TimeSpan timeout, string healthPath = "/health/ready") =>
        ServiceProcess.StartAsync("services", "Maas.Worker", new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = api.Database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConfiguration,
            ["Maas:Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Maas:Orleans:PrimarySiloEndpoint"] = $"127.0.0.1:{api.SiloPort}",
            ["Maas:Orleans:ClusterId"] = api.ClusterId,
            ["Maas:Models:0:Id"] = modelId,
            ["Maas:Models:0:Path"] = modelPath,
        }, timeout, healthPath);
}
