using System.Collections.Concurrent;

namespace Maas.Grammar;

/// <summary>
/// Compiled grammars by a key that names them completely (the constraint's canonical text), so a schema is compiled
/// once per process and every sequence using it shares one <see cref="Grammar"/> (and, in the engine, one mask cache).
/// Bounded: when full it starts over, which only costs recompiling.
/// </summary>
public sealed class GrammarCache(int capacity = 256)
{
    private readonly ConcurrentDictionary<string, Lazy<Grammar>> _grammars = new(StringComparer.Ordinal);

    public int Count => _grammars.Count;

    public Grammar GetOrCompile(string key, Func<Grammar> compile)
    {
        if (_grammars.Count >= capacity)
        {
            _grammars.Clear();
        }

        var lazy = _grammars.GetOrAdd(key, _ => new Lazy<Grammar>(compile, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed compile is not cached: the same bad schema fails the same way next time, cheaply enough.
            _grammars.TryRemove(new KeyValuePair<string, Lazy<Grammar>>(key, lazy));
            throw;
        }
    }
}
