using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// The process's copy of the price book. The first caller loads it; later callers get the loaded copy at once and, once
/// it is older than <see cref="PriceBookOptions.PriceRefreshInterval"/>, start one background re-read (a failed re-read
/// keeps the previous copy). So admission and the usage writer never wait for PostgreSQL except on first use.
/// </summary>
public sealed partial class PriceBookCache(
    IServiceScopeFactory scopes,
    IOptions<PriceBookOptions> options,
    TimeProvider time,
    ILogger<PriceBookCache> logger)
{
    private readonly SemaphoreSlim _firstLoad = new(1, 1);
    private volatile PriceBook? _current;
    private long _nextRefreshTicks;
    private int _refreshing;

    /// <summary>The loaded price book, or null before the first load.</summary>
    public PriceBook? Current => _current;

    public async ValueTask<PriceBook> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            if (time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _nextRefreshTicks) && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            {
                _ = RefreshInBackgroundAsync();
            }

            return current;
        }

        await _firstLoad.WaitAsync(cancellationToken);
        try
        {
            return _current ??= await LoadAsync(cancellationToken);
        }
        finally
        {
            _firstLoad.Release();
        }
    }

    /// <summary>Re-reads the price book now (after `maas price set` in tests and tools).</summary>
    public async Task<PriceBook> ReloadAsync(CancellationToken cancellationToken)
    {
        var book = await LoadAsync(cancellationToken);
        _current = book;
        return book;
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            _current = await LoadAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogRefreshFailed(logger, ex);
        }
        finally
        {
            // Success or not, the next attempt waits a whole interval (no retry storm while PostgreSQL is down).
            Interlocked.Exchange(ref _nextRefreshTicks, (time.GetUtcNow() + options.Value.PriceRefreshInterval).UtcTicks);
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private async Task<PriceBook> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MaasDbContext>();
        var rows = await db.Prices.AsNoTracking().ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _nextRefreshTicks, (now + options.Value.PriceRefreshInterval).UtcTicks);
        return new PriceBook(rows, now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-reading the price book failed; keeping the copy loaded before")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
