using System.Diagnostics;
using System.Text;

namespace Maas.Plant.Tests.Support;

/// <summary>A running mosquitto_sub: the messages it printed ("topic payload" lines), its debug lines, killed on dispose.</summary>
public sealed class MosquittoSubscriber : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(string Topic, string Payload)> _messages = [];
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<bool> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MosquittoSubscriber(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _subscribed.TrySetResult(false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public IReadOnlyList<(string Topic, string Payload)> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>True when the broker granted the subscription; false when it refused it or the client exited.</summary>
    public Task<bool> Subscribed => _subscribed.Task;

    public async Task WaitForSubscriptionAsync(TimeSpan timeout)
    {
        try
        {
            await _subscribed.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"mosquitto_sub got no SUBACK in {timeout}; it printed:\n{Log}");
        }
    }

    /// <summary>Waits until the messages received satisfy <paramref name="done"/>; returns them.</summary>
    public async Task<IReadOnlyList<(string Topic, string Payload)>> WaitForAsync(Func<IReadOnlyList<(string Topic, string Payload)>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var messages = Messages;
            if (done(messages))
            {
                return messages;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"mosquitto_sub did not receive the expected messages in {timeout}; it printed:\n{Log}");
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.StartsWith("Client ", StringComparison.Ordinal))
        {
            if (line.Contains("received SUBACK", StringComparison.Ordinal))
            {
                // The granted QoS follows on the next debug line ("Subscribed (mid: 1): 1" or 128 when refused).
                return;
            }

            return;
        }

        if (line.StartsWith("Subscribed (mid", StringComparison.Ordinal))
        {
            _subscribed.TrySetResult(!line.TrimEnd().EndsWith("128", StringComparison.Ordinal) && !line.Contains("135", StringComparison.Ordinal));
            return;
        }

        if (line.StartsWith("All subscription requests were denied", StringComparison.Ordinal))
        {
            _subscribed.TrySetResult(false);
            return;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && line.StartsWith("maas/", StringComparison.Ordinal))
        {
            lock (_messages)
            {
                _messages.Add((line[..space], line[(space + 1)..]));
            }
        }
    }
}
