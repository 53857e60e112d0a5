namespace Maas.Engine.Serving;

/// <summary>
/// The waiting sequences of one priority class, queued per tenant and offered for admission by weighted round-robin
/// (deficit round-robin where every request costs one): the tenant whose turn it is may start up to its weight of
/// sequences, then the next tenant's turn comes. A tenant with a hundred waiting requests therefore holds back another
/// tenant's single request by at most its weight in admissions. Within a tenant, arrival order, except that a sequence
/// whose KV does not fit yet lets the ones behind it try. Only the scheduler thread touches it.
/// </summary>
internal sealed class FairQueue
{
    private readonly Dictionary<string, TenantQueue> _tenants = new(StringComparer.Ordinal);
    private readonly LinkedList<TenantQueue> _rotation = new();

    /// <summary>Sequences waiting in this class.</summary>
    public int Count { get; private set; }

    /// <summary>Queues a new arrival (or a preempted sequence, <paramref name="first"/>: ahead of its tenant's others).</summary>
    public void Add(ActiveSequence sequence, bool first = false)
    {
        var queue = sequence.Queue ??= TenantOf(sequence);
        queue.Weight = Math.Max(1, sequence.Request.TenantWeight);
        sequence.WaitingNode = first ? queue.Waiting.AddFirst(sequence) : queue.Waiting.AddLast(sequence);
        Count++;
        queue.Turn ??= _rotation.AddLast(queue);
    }

    /// <summary>A running sequence of this class left the batch (finished, failed or preempted).</summary>
    public void Stopped(ActiveSequence sequence)
    {
        var queue = sequence.Queue!;
        queue.Running--;
        Forget(queue);
    }

    /// <summary>
    /// Offers waiting sequences to <paramref name="tryStart"/> in round-robin order until none of them can start now;
    /// false when it answered <see cref="AdmissionVerdict.Hold"/> (nothing after this class may start either).
    /// </summary>
    public bool Admit(Func<ActiveSequence, AdmissionVerdict> tryStart)
    {
        var node = _rotation.First;
        while (node is not null)
        {
            var queue = node.Value;
            var next = node.Next;
            if (queue.Credit <= 0)
            {
                queue.Credit = queue.Weight;
            }

            var started = false;
            for (var waiting = queue.Waiting.First; waiting is not null && !started;)
            {
                var sequence = waiting.Value;
                var after = waiting.Next;
                switch (tryStart(sequence))
                {
                    case AdmissionVerdict.Started:
                        Leave(sequence);
                        queue.Running++;
                        started = true;
                        break;
                    case AdmissionVerdict.Removed:
                        Leave(sequence);
                        break;
                    case AdmissionVerdict.Hold:
                        return false;
                    case AdmissionVerdict.NoRoom:
                        // Its later requests would find no room either.
                        after = null;
                        break;
                }

                waiting = after;
            }

            if (started)
            {
                // Its turn goes on while it has credit; otherwise the next tenant's begins. Either way, look again from
                // the head: the rotation changed.
                queue.Credit--;
                if (queue.Credit <= 0 && queue.Turn is { } turn)
                {
                    _rotation.Remove(turn);
                    _rotation.AddLast(turn);
                }

                Forget(queue);
                node = _rotation.First;
                continue;
            }

            Forget(queue);
            node = next;
        }

        return true;
    }

    /// <summary>Removes the waiting sequences <paramref name="leaves"/> says go (it has ended them).</summary>
    public void Sweep(Func<ActiveSequence, bool> leaves)
    {
        for (var node = _rotation.First; node is not null;)
        {
            var queue = node.Value;
            node = node.Next;
            for (var waiting = queue.Waiting.First; waiting is not null;)
            {
                var sequence = waiting.Value;
                waiting = waiting.Next;
                if (leaves(sequence))
                {
                    Leave(sequence);
                }
            }

            Forget(queue);
        }
    }

    /// <summary>Every waiting sequence, taken out of the queue (shutdown).</summary>
    public List<ActiveSequence> Drain()
    {
        var all = new List<ActiveSequence>(Count);
        Sweep(sequence =>
        {
            all.Add(sequence);
            return true;
        });
        return all;
    }

    private TenantQueue TenantOf(ActiveSequence sequence)
    {
        var tenant = sequence.Request.TenantId;
        if (!_tenants.TryGetValue(tenant, out var queue))
        {
            queue = new TenantQueue(tenant);
            _tenants.Add(tenant, queue);
        }

        return queue;
    }

    private void Leave(ActiveSequence sequence)
    {
        if (sequence.WaitingNode is { } node)
        {
            sequence.Queue!.Waiting.Remove(node);
            sequence.WaitingNode = null;
            Count--;
        }
    }

    /// <summary>A tenant with nothing waiting leaves the rotation (a new turn starts with full credit); with nothing running too, it is forgotten.</summary>
    private void Forget(TenantQueue queue)
    {
        if (queue.Waiting.Count > 0)
        {
            return;
        }

        if (queue.Turn is { } turn)
        {
            _rotation.Remove(turn);
            queue.Turn = null;
            queue.Credit = 0;
        }

        if (queue.Running == 0)
        {
            _tenants.Remove(queue.TenantId);
        }
    }
}
