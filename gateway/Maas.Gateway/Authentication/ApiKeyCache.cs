using System.Collections.Concurrent;
using Maas.Gateway.Observability;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Maas.Gateway.Authentication;

/// <summary>
/// Short-lived cache of key lookups, keyed by the secret's hash (never the secret). A found key is trusted for
/// <see cref="GatewayOptions.ApiKeyCacheTtl"/>, then looked up again; while PostgreSQL cannot be asked it stays usable
/// up to <see cref="GatewayOptions.ApiKeyStaleTtl"/> after it was last read (keys never seen get 503), so an outage of
/// the database does not take every tenant offline once the cache ages. Revocation notices (Redis) turn a cached key
/// into a revoked one at once, which holds during an outage too.
/// </summary>
public sealed partial class ApiKeyCache : IDisposable
{
    private readonly ApiKeyStore _store;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ApiKeyCache> _logger;
    private readonly MemoryCache _cache;
    private readonly ConcurrentDictionary<Guid, string> _hashByKeyId = new();

    // One PostgreSQL query per hash at a time: after a restart or expiry, a burst of requests
    // with the same key waits for one lookup instead of each sending its own.
    private readonly ConcurrentDictionary<string, Lazy<Task<ApiKeyLookup>>> _inFlight = new(StringComparer.Ordinal);

    // Bumped on every eviction: a lookup that started before it may have read the pre-revocation
    // row, so its result must not be cached.
    private long _generation;

    // Entries read before this (unix ms) are stale: notices may have been lost while Redis was disconnected.
    private long _staleBeforeMs;

    public ApiKeyCache(ApiKeyStore store, IOptions<GatewayOptions> options, TimeProvider time, ILogger<ApiKeyCache> logger)
    {
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.ApiKeyCacheMaxEntries });
    }

    /// <exception cref="ApiKeyStoreUnavailableException">PostgreSQL cannot be asked and no usable earlier answer is cached.</exception>
    public async ValueTask<ApiKeyLookup> GetAsync(string secretHash, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!_cache.TryGetValue(secretHash, out CachedApiKey? cached) || cached is null)
        {
            return await LookUpAsync(secretHash, cancellationToken);
        }

        if (IsFresh(cached, now))
        {
            return cached.Lookup;
        }

        try
        {
            return await LookUpAsync(secretHash, cancellationToken);
        }
        catch (ApiKeyStoreUnavailableException ex) when (IsFound(cached.Lookup) && now - cached.FetchedAt < _options.ApiKeyStaleTtl)
        {
            // Keep serving what PostgreSQL said last; revocations still arrive through Redis.
            GatewayMetrics.ApiKeysServedStale.Inc();
            LogServingStale(_logger, ex, cached.Lookup.Identity?.KeyId, now - cached.FetchedAt);
            return cached.Lookup;
        }
    }

    /// <summary>A revocation notice: a cached key answers "revoked" from now on (the next lookup confirms it).</summary>
    public void Evict(Guid keyId)
    {
        Interlocked.Increment(ref _generation);
        if (_hashByKeyId.TryGetValue(keyId, out var hash) && _cache.TryGetValue(hash, out CachedApiKey? cached) && cached?.Lookup.Identity is { } identity)
        {
            Store(hash, new ApiKeyLookup(ApiKeyStatus.Revoked, identity));
        }
    }

    /// <summary>Makes every entry stale (looked up again on next use, still usable while PostgreSQL is down), e.g. after missing notices while Redis was disconnected.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        Volatile.Write(ref _staleBeforeMs, _time.GetUtcNow().ToUnixTimeMilliseconds() + 1);
    }

    public void Dispose() => _cache.Dispose();

    /// <summary>A key that exists (active or revoked): trusted for the cache TTL and kept for the stale period; "unknown" and "tenant disabled" only briefly, so a new key or a re-enabled tenant works at once.</summary>
    private static bool IsFound(ApiKeyLookup lookup) => lookup.Status is ApiKeyStatus.Active or ApiKeyStatus.Revoked;

    private bool IsFresh(CachedApiKey cached, DateTimeOffset now)
    {
        var ttl = IsFound(cached.Lookup) ? _options.ApiKeyCacheTtl : _options.ApiKeyNegativeCacheTtl;
        return now - cached.FetchedAt < ttl && cached.FetchedAt.ToUnixTimeMilliseconds() >= Volatile.Read(ref _staleBeforeMs);
    }

    private async ValueTask<ApiKeyLookup> LookUpAsync(string secretHash, CancellationToken cancellationToken)
    {
        var lookup = _inFlight.GetOrAdd(secretHash, hash => new Lazy<Task<ApiKeyLookup>>(() => LookUpAndStoreAsync(hash)));
        return await lookup.Value.WaitAsync(cancellationToken);
    }

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
        // Found keys are kept for their stale period too; unknown keys and disabled tenants only briefly.
        var keep = !IsFound(lookup)
            ? _options.ApiKeyNegativeCacheTtl
            : TimeSpan.FromTicks(Math.Max(_options.ApiKeyCacheTtl.Ticks, _options.ApiKeyStaleTtl.Ticks));
        var entry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = keep, Size = 1 };
        if (lookup.Identity is { } identity)
        {
            _hashByKeyId[identity.KeyId] = secretHash;
            entry.RegisterPostEvictionCallback(static (_, value, reason, state) =>
            {
                // Replaced entries keep their index entry: the new value is stored under the same hash.
                if (reason != EvictionReason.Replaced)
                {
                    var (index, id, hash) = ((ConcurrentDictionary<Guid, string>, Guid, string))state!;
                    index.TryRemove(new KeyValuePair<Guid, string>(id, hash));
                }
            }, (_hashByKeyId, identity.KeyId, secretHash));
        }

        _cache.Set(secretHash, new CachedApiKey(lookup, _time.GetUtcNow()), entry);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL cannot be asked about API key {KeyId}; serving what it said {Age} ago")]
    private static partial void LogServingStale(ILogger logger, Exception exception, Guid? keyId, TimeSpan age);
}
