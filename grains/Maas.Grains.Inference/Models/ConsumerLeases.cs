namespace Maas.Grains.Inference.Models;

/// <summary>
/// The sequences of one replica grain whose caller promised to renew (<see cref="Grains.Abstractions.Models.GenerateCommand.ConsumerLease"/>):
/// each has a deadline, moved by every renewal, and a cancellation source that stops the sequence in the engine
/// when the deadline passes, so a sequence whose consumer has gone (api silo crashed, grain call lost) is not
/// computed to max_tokens. Used only from the grain's turns (not thread-safe).
/// </summary>
/// <remarks>
/// An expired lease is remembered for <see cref="ExpiredRetention"/> so the stream's own end can tell it was orphaned;
/// the stream may never end on its own (its iterator waits for a consumer that is gone), so entries do not wait for it.
/// </remarks>
internal sealed class ConsumerLeases
{
    private static readonly long ExpiredRetention = (long)TimeSpan.FromMinutes(1).TotalMilliseconds;

    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly List<string> _scratch = [];

    /// <summary>Starts a lease; the returned token is cancelled when it expires.</summary>
    public CancellationToken Start(string requestId, TimeSpan lease)
    {
        End(requestId);
        var entry = new Lease(lease, Environment.TickCount64 + (long)lease.TotalMilliseconds);
        _leases[requestId] = entry;
        return entry.Stop.Token;
    }

    /// <summary>Moves a lease's deadline one lease period ahead; false if the request has no live lease here.</summary>
    public bool Renew(string requestId)
    {
        if (!_leases.TryGetValue(requestId, out var lease) || lease.Stop.IsCancellationRequested)
        {
            return false;
        }

        lease.DeadlineTicks = Environment.TickCount64 + (long)lease.Duration.TotalMilliseconds;
        return true;
    }

    /// <summary>Whether the request's lease expired (its sequence was stopped for that reason).</summary>
    public bool Expired(string requestId) => _leases.TryGetValue(requestId, out var lease) && lease.Stop.IsCancellationRequested;

    /// <summary>Cancels every lease past its deadline and returns their request ids (valid until the next call); forgets long-expired ones.</summary>
    public IReadOnlyList<string> CancelExpired()
    {
        var now = Environment.TickCount64;
        _scratch.Clear();
        List<string>? forget = null;
        foreach (var (requestId, lease) in _leases)
        {
            if (lease.Stop.IsCancellationRequested)
            {
                if (now - lease.DeadlineTicks > ExpiredRetention)
                {
                    (forget ??= []).Add(requestId);
                }
            }
            else if (lease.DeadlineTicks <= now)
            {
                lease.Stop.Cancel();
                _scratch.Add(requestId);
            }
        }

        foreach (var requestId in forget ?? [])
        {
            End(requestId);
        }

        return _scratch;
    }

    public void End(string requestId)
    {
        if (_leases.Remove(requestId, out var lease))
        {
            lease.Stop.Dispose();
        }
    }

    private sealed class Lease(TimeSpan duration, long deadlineTicks)
    {
        public TimeSpan Duration { get; } = duration;

        public long DeadlineTicks { get; set; } = deadlineTicks;

        public CancellationTokenSource Stop { get; } = new();
    }
}
