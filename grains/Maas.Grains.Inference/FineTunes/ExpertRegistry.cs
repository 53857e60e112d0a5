using Maas.Engine.Experts;

namespace Maas.Grains.Inference.FineTunes;

/// <summary>
/// The fine-tune experts loaded on this worker silo, by version key: expert shard grains register what they load, and
/// replica grains hand the experts to the engine with each sequence (<see cref="Begin"/> / <see cref="End"/>), so the
/// engine reads them directly with no grain call on the compute path. Tracks sequences running per fine-tune and when
/// it was last used, so a shard unloads only when idle (<see cref="TryRemoveIfIdle"/>).
/// </summary>
public sealed class ExpertRegistry(TimeProvider time)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Fine-tunes loaded on this silo.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Native bytes of every loaded fine-tune's experts.</summary>
    public long BytesHeld
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Sum(e => e.Experts.ByteLength);
            }
        }
    }

    public bool Contains(string versionKey)
    {
        lock (_gate)
        {
            return _entries.ContainsKey(versionKey);
        }
    }

    public void Register(string versionKey, FineTuneExperts experts)
    {
        lock (_gate)
        {
            if (!_entries.TryAdd(versionKey, new Entry(experts, time.GetTimestamp())))
            {
                throw new InvalidOperationException($"fine-tune {versionKey} is already loaded on this silo");
            }
        }

        ExpertShardMetrics.Held(Count, BytesHeld);
    }

    /// <summary>The experts for a starting sequence (counted as running until <see cref="End"/>), or null if not loaded here.</summary>
    public FineTuneExperts? Begin(string versionKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(versionKey, out var entry))
            {
                return null;
            }

            entry.Running++;
            entry.LastUsed = time.GetTimestamp();
            return entry.Experts;
        }
    }

    public void End(string versionKey)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(versionKey, out var entry) && entry.Running > 0)
            {
                entry.Running--;
                entry.LastUsed = time.GetTimestamp();
            }
        }
    }

    /// <summary>Removes the entry if no sequence runs with it and none started for <paramref name="idle"/>; the caller disposes the result.</summary>
    public FineTuneExperts? TryRemoveIfIdle(string versionKey, TimeSpan idle)
    {
        FineTuneExperts removed;
        lock (_gate)
        {
            if (!_entries.TryGetValue(versionKey, out var entry) || entry.Running > 0 || time.GetElapsedTime(entry.LastUsed) < idle)
            {
                return null;
            }

            _entries.Remove(versionKey);
            removed = entry.Experts;
        }

        ExpertShardMetrics.Held(Count, BytesHeld);
        return removed;
    }

    /// <summary>Removes the entry whatever runs with it (deleted fine-tune; running sequences keep their lease); the caller disposes the result.</summary>
    public FineTuneExperts? Remove(string versionKey)
    {
        FineTuneExperts? removed = null;
        lock (_gate)
        {
            if (_entries.Remove(versionKey, out var entry))
            {
                removed = entry.Experts;
            }
        }

        ExpertShardMetrics.Held(Count, BytesHeld);
        return removed;
    }

    private sealed class Entry(FineTuneExperts experts, long lastUsed)
    {
        public FineTuneExperts Experts { get; } = experts;

        public int Running { get; set; }

        public long LastUsed { get; set; } = lastUsed;
    }
}
