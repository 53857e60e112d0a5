using System.Diagnostics;
using System.Text;

namespace Maas.Plant.Tests.Support;

/// <summary>
/// Debian's mosquitto_pub and mosquitto_sub (package mosquitto-clients, installed by infra/dev/deps.sh) against the plant
/// service's MQTT endpoint: what a plant's own tooling would run. Username "plant", password the tenant's key.
/// </summary>
public sealed class Mosquitto(int port, string secret)
{
    /// <summary>Runs mosquitto_pub once (QoS 1); returns its exit code and everything it printed.</summary>
    public async Task<(int ExitCode, string Output)> PublishAsync(string topic, string? message = null, byte[]? payload = null, string? clientId = null, bool mqtt5 = false)
    {
        var start = Start("mosquitto_pub", clientId, mqtt5);
        start.ArgumentList.Add("-t");
        start.ArgumentList.Add(topic);
        string? file = null;
        if (payload is not null)
        {
            file = Path.GetTempFileName();
            await File.WriteAllBytesAsync(file, payload);
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(file);
        }
        else
        {
            start.ArgumentList.Add("-m");
            start.ArgumentList.Add(message ?? "");
        }

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            if (file is not null)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Starts mosquitto_sub on a filter and returns once the broker acknowledged the subscription (or refused it).</summary>
    public async Task<MosquittoSubscriber> SubscribeAsync(string filter, string? clientId = null, bool persistent = false, bool mqtt5 = false)
    {
        var start = Start("mosquitto_sub", clientId, mqtt5);
        start.ArgumentList.Add("-t");
        start.ArgumentList.Add(filter);
        start.ArgumentList.Add("-v");
        // Debug output says when the SUBACK arrived, so a test publishes only once the subscription is in place.
        start.ArgumentList.Add("-d");
        if (persistent)
        {
            start.ArgumentList.Add("-c");
        }

        var subscriber = new MosquittoSubscriber(Process.Start(start)!);
        await subscriber.WaitForSubscriptionAsync(TimeSpan.FromSeconds(30));
        return subscriber;
    }

    private ProcessStartInfo Start(string tool, string? clientId, bool mqtt5)
    {
        // Under stdbuf (coreutils): mosquitto-clients print their debug lines (CONNACK, SUBACK) with stdio, fully
        // buffered into a pipe, so without line buffering a test would see them only when the client exits.
        var start = new ProcessStartInfo("stdbuf")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-oL");
        start.ArgumentList.Add(tool);
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "plant", "-P", secret, "-q", "1" })
        {
            start.ArgumentList.Add(argument);
        }

        // Always an id: mosquitto-clients 2.0 sends an empty one otherwise, which MQTTnet refuses for MQTT 3.1.1
        // ("identifier rejected"; only MQTT 5 lets the server assign one).
        start.ArgumentList.Add("-i");
        start.ArgumentList.Add(clientId ?? tool + "-" + Guid.NewGuid().ToString("N")[..12]);

        if (mqtt5)
        {
            start.ArgumentList.Add("-V");
            start.ArgumentList.Add("mqttv5");
        }

        return start;
    }
}
