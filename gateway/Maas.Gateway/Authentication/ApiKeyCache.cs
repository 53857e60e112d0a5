using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Authentication;

/// <summary>
/// Short-lived cache of key lookups, keyed by the secret's hash (never the secret). Entries of a
/// revoked key are evicted the moment a revocation notice arrives; the TTL bounds staleness when
/// notices cannot arrive (Redis down).
/// </summary>
public sealed class ApiKeyCache : IDisposable
{
    private readonly ApiKeyStore _store;
    private readonly GatewayOptions _options;
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<Guid, string> _hashByKeyId = new();

    // One PostgreSQL query per hash at a time: after a restart or expiry, a burst of requests
    // with the same key waits for one lookup instead of each sending its own.
    private readonly ConcurrentDictionary<string, Lazy<Task<ApiKeyLookup>>> _inFlight = new(StringComparer.Ordinal);

    // Bumped on every eviction: a lookup that started before it may have read the pre-revocation
    // row, so its result must not be cached.
    private long _generation;

    public ApiKeyCache(ApiKeyStore store, IOptions<GatewayOptions> options)
    {
        _store = store;
        _options = options.Value;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.ApiKeyCacheMaxEntries });
    }

    public async ValueTask<ApiKeyLookup> GetAsync(string secretHash, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(secretHash, out ApiKeyLookup? cached) && cached is not null)
        {
            return cached;
        }

        var lookup = _inFlight.GetOrAdd(secretHash, hash => new Lazy<Task<ApiKeyLookup>>(() => LookUpAndStoreAsync(hash)));
        return await lookup.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets a key so the next request re-reads PostgreSQL.</summary>
    public void Evict(Guid keyId)
    {
        Interlocked.Increment(ref _generation);
        if (_hashByKeyId.TryRemove(keyId, out var hash))
        {
            _cache.Remove(hash);
        }
    }

    /// <summary>Forgets everything, e.g. after missing notices while Redis was disconnected.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
        _hashByKeyId.Clear();
    }

    public void Dispose() => _cache.Dispose();

    // Not tied to one caller's token: other callers may be waiting for the same result.
    private async Task<ApiKeyLookup> LookUpAndStoreAsync(string secretHash)
    {
        try
        {
            var generation = Interlocked.Read(ref _generation);
            var lookup = await _store.FindAsync(secretHash, CancellationToken.None);
            if (Interlocked.Read(ref _generation) == generation)
            {
                Store(secretHash, lookup);
            }

            return lookup;
        }
        finally
        {
            _inFlight.TryRemove(secretHash, out _);
        }
    }

    private void Store(string secretHash, ApiKeyLookup lookup)
    {
        var ttl = lookup.Status is ApiKeyStatus.Active or ApiKeyStatus.Revoked
            ? _options.ApiKeyCacheTtl
            : _options.ApiKeyNegativeCacheTtl;
        var entry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 };
        if (lookup.Identity is { } identity)
        {
            _hashByKeyId[identity.KeyId] = secretHash;
            entry.RegisterPostEvictionCallback(static (_, _, _, state) =>
            {
                var (index, id, hash) = ((ConcurrentDictionary<Guid, string>, Guid, string))state!;
                index.TryRemove(new KeyValuePair<Guid, string>(id, hash));
            }, (_hashByKeyId, identity.KeyId, secretHash));
        }

        _cache.Set(secretHash, lookup, entry);
    }
}
