using System.Diagnostics;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Maas.Infrastructure.Metering;

/// <summary>
/// Writes usage records into PostgreSQL, many in one statement (so one transaction, one round trip): the records are
/// priced from the price book, passed as one array per column, inserted into usage_events with ON CONFLICT DO NOTHING
/// (a record already stored, e.g. replayed twice, adds nothing), and only the rows actually inserted are added to the
/// hourly rollups in the same statement. So usage_hourly always equals the sum of usage_events, duplicates included.
/// </summary>
public sealed partial class UsageEventWriter : IAsyncDisposable
{
    // Rollup rows are upserted in primary-key order, so concurrent group commits lock them in the same order (no deadlocks).
    private const string InsertSql = """
        WITH input AS (
            SELECT * FROM unnest(
                $1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::integer[],
                $9::text[], $10::text[], $11::integer[], $12::integer[], $13::integer[], $14::timestamptz[], $15::timestamptz[],
                $16::text[], $17::bigint[], $18::text[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[])
            AS t(request_id, received_at, tenant_id, key_id, model, weights_digest, fine_tune, fine_tune_version,
                 source, endpoint, prompt_tokens, cached_prompt_tokens, completion_tokens, first_token_at, finished_at,
                 finish_reason, price_id, currency, input_cache_miss_cost, input_cache_hit_cost, output_cost, cost)
        ),
        inserted AS (
            INSERT INTO usage_events (request_id, received_at, tenant_id, key_id, model, weights_digest, fine_tune, fine_tune_version,
                source, endpoint, prompt_tokens, cached_prompt_tokens, completion_tokens, first_token_at, finished_at,
                finish_reason, price_id, currency, input_cache_miss_cost, input_cache_hit_cost, output_cost, cost)
            SELECT * FROM input
            ON CONFLICT DO NOTHING
            RETURNING tenant_id, key_id, model, fine_tune, received_at, prompt_tokens, cached_prompt_tokens, completion_tokens,
                input_cache_miss_cost, input_cache_hit_cost, output_cost, cost
        ),
        rolled AS (
            INSERT INTO usage_hourly AS h (tenant_id, hour, key_id, model, fine_tune, requests, prompt_tokens, cached_prompt_tokens,
                completion_tokens, input_cache_miss_cost, input_cache_hit_cost, output_cost, cost, unpriced_requests)
            SELECT tenant_id, date_trunc('hour', received_at, 'UTC'), key_id, model, coalesce(fine_tune, ''), count(*),
                sum(prompt_tokens), sum(cached_prompt_tokens), sum(completion_tokens),
                coalesce(sum(input_cache_miss_cost), 0), coalesce(sum(input_cache_hit_cost), 0), coalesce(sum(output_cost), 0),
                coalesce(sum(cost), 0), count(*) FILTER (WHERE cost IS NULL)
            FROM inserted
            GROUP BY 1, 2, 3, 4, 5
            ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (tenant_id, hour, key_id, model, fine_tune) DO UPDATE SET
                requests = h.requests + excluded.requests,
                prompt_tokens = h.prompt_tokens + excluded.prompt_tokens,
                cached_prompt_tokens = h.cached_prompt_tokens + excluded.cached_prompt_tokens,
                completion_tokens = h.completion_tokens + excluded.completion_tokens,
                input_cache_miss_cost = h.input_cache_miss_cost + excluded.input_cache_miss_cost,
                input_cache_hit_cost = h.input_cache_hit_cost + excluded.input_cache_hit_cost,
                output_cost = h.output_cost + excluded.output_cost,
                cost = h.cost + excluded.cost,
                unpriced_requests = h.unpriced_requests + excluded.unpriced_requests
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM rolled)
        """;

    /// <summary>SQLSTATE 23514 with this text: a row whose month has no partition yet.</summary>
    private const string NoPartition = "no partition of relation";

    private readonly NpgsqlDataSource _dataSource;
    private readonly PriceBookCache _prices;
    private readonly MeteringMetrics _metrics;
    private readonly ILogger<UsageEventWriter> _logger;

    public UsageEventWriter(IOptions<PostgresOptions> postgres, IOptions<MeteringOptions> options, PriceBookCache prices, MeteringMetrics metrics, ILogger<UsageEventWriter> logger)
    {
        var timeout = options.Value.CommitTimeout;
        var connection = new NpgsqlConnectionStringBuilder(postgres.Value.ConnectionString)
        {
            // Fail fast when PostgreSQL is unreachable: records then go to the spill instead of holding responses.
            Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            CancellationTimeout = -1,
            // The one statement is prepared once per connection; nothing here changes session state.
            MaxAutoPrepare = 4,
            NoResetOnClose = true,
            ApplicationName = "maas-metering",
        };
        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        _prices = prices;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Writes the records in one transaction and returns how many were new (the rest were already stored). Throws
    /// when PostgreSQL did not confirm the commit; then nothing may be assumed written, and the caller keeps the records.
    /// </summary>
    public async Task<int> WriteAsync(IReadOnlyList<UsageRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return 0;
        }

        var prices = await _prices.GetAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        int inserted;
        try
        {
            inserted = await InsertAsync(connection, records, prices, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && ex.MessageText.Contains(NoPartition, StringComparison.Ordinal))
        {
            // A month without a partition (clock skew, an old spill): create it and write again.
            await EnsurePartitionsAsync(connection, records.Select(r => r.ReceivedAt), cancellationToken);
            inserted = await InsertAsync(connection, records, prices, cancellationToken);
        }

        _metrics.CommitDuration(Stopwatch.GetElapsedTime(started));
        _metrics.RecordsCommitted(inserted, records.Count - inserted);
        return inserted;
    }

    /// <summary>Throws unless PostgreSQL answers.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Creates the monthly partitions holding these instants, if missing.</summary>
    public async Task EnsurePartitionsAsync(IEnumerable<DateTimeOffset> instants, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await EnsurePartitionsAsync(connection, instants, cancellationToken);
    }

    /// <summary>Drops the monthly partitions that end at or before <paramref name="before"/>; returns their names.</summary>
    public async Task<IReadOnlyList<string>> DropPartitionsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT maas_drop_usage_partitions($1)");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = before.ToUniversalTime() });
        var dropped = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            dropped.Add(reader.GetString(0));
        }

        return dropped;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static async Task EnsurePartitionsAsync(NpgsqlConnection connection, IEnumerable<DateTimeOffset> instants, CancellationToken cancellationToken)
    {
        var months = instants.Select(t => new DateTimeOffset(t.UtcDateTime.Year, t.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero)).Distinct();
        foreach (var month in months)
        {
            await using var command = new NpgsqlCommand("SELECT maas_usage_partition($1)", connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = month });
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }

    private async Task<int> InsertAsync(NpgsqlConnection connection, IReadOnlyList<UsageRecord> records, PriceBook prices, CancellationToken cancellationToken)
    {
        var n = records.Count;
        var requestIds = new string[n];
        var receivedAt = new DateTimeOffset[n];
        var tenants = new string[n];
        var keys = new string[n];
        var models = new string[n];
        var digests = new string?[n];
        var fineTunes = new string?[n];
        var fineTuneVersions = new int?[n];
        var sources = new string[n];
        var endpoints = new string[n];
        var promptTokens = new int[n];
        var cachedTokens = new int[n];
        var completionTokens = new int[n];
        var firstTokenAt = new DateTimeOffset?[n];
        var finishedAt = new DateTimeOffset[n];
        var finishReasons = new string[n];
        var priceIds = new long?[n];
        var currencies = new string?[n];
        var missCosts = new decimal?[n];
        var hitCosts = new decimal?[n];
        var outputCosts = new decimal?[n];
        var costs = new decimal?[n];
        var unpriced = 0;
        for (var i = 0; i < n; i++)
        {
            var r = records[i];
            requestIds[i] = r.RequestId;
            receivedAt[i] = r.ReceivedAt.ToUniversalTime();
            tenants[i] = r.TenantId;
            keys[i] = r.KeyId;
            models[i] = r.Model;
            digests[i] = r.WeightsDigest;
            fineTunes[i] = r.FineTune;
            fineTuneVersions[i] = r.FineTuneVersion;
            sources[i] = UsageText.Of(r.Source);
            endpoints[i] = r.Endpoint;
            promptTokens[i] = r.PromptTokens;
            cachedTokens[i] = r.CachedPromptTokens;
            completionTokens[i] = r.CompletionTokens;
            firstTokenAt[i] = r.FirstTokenAt?.ToUniversalTime();
            finishedAt[i] = r.FinishedAt.ToUniversalTime();
            finishReasons[i] = UsageText.Of(r.FinishReason);
            if (prices.Find(r.Model, r.FineTune, r.ReceivedAt) is { } price)
            {
                var charge = UsageCharge.Of(price, r);
                priceIds[i] = charge.PriceId;
                currencies[i] = charge.Currency;
                missCosts[i] = charge.InputCacheMissCost;
                hitCosts[i] = charge.InputCacheHitCost;
                outputCosts[i] = charge.OutputCost;
                costs[i] = charge.Total;
            }
            else
            {
                unpriced++;
                LogUnpriced(_logger, r.RequestId, r.Model, r.ReceivedAt);
            }
        }

        await using var command = new NpgsqlCommand(InsertSql, connection)
        {
            Parameters =
            {
                Array(NpgsqlDbType.Text, requestIds),
                Array(NpgsqlDbType.TimestampTz, receivedAt),
                Array(NpgsqlDbType.Text, tenants),
                Array(NpgsqlDbType.Text, keys),
                Array(NpgsqlDbType.Text, models),
                Array(NpgsqlDbType.Text, digests),
                Array(NpgsqlDbType.Text, fineTunes),
                Array(NpgsqlDbType.Integer, fineTuneVersions),
                Array(NpgsqlDbType.Text, sources),
                Array(NpgsqlDbType.Text, endpoints),
                Array(NpgsqlDbType.Integer, promptTokens),
                Array(NpgsqlDbType.Integer, cachedTokens),
                Array(NpgsqlDbType.Integer, completionTokens),
                Array(NpgsqlDbType.TimestampTz, firstTokenAt),
                Array(NpgsqlDbType.TimestampTz, finishedAt),
                Array(NpgsqlDbType.Text, finishReasons),
                Array(NpgsqlDbType.Bigint, priceIds),
                Array(NpgsqlDbType.Text, currencies),
                Array(NpgsqlDbType.Numeric, missCosts),
                Array(NpgsqlDbType.Numeric, hitCosts),
                Array(NpgsqlDbType.Numeric, outputCosts),
                Array(NpgsqlDbType.Numeric, costs),
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var inserted = (int)reader.GetInt64(0);
        if (unpriced > 0)
        {
            _metrics.RecordsUnpriced(unpriced);
        }

        return inserted;
    }

    private static NpgsqlParameter Array<T>(NpgsqlDbType type, T[] values) =>
        new NpgsqlParameter<T[]> { NpgsqlDbType = NpgsqlDbType.Array | type, TypedValue = values };

    [LoggerMessage(Level = LogLevel.Error, Message = "Usage record {RequestId}: model {Model} had no price in effect at {ReceivedAt}; stored without a cost (set one with `maas price set`)")]
    private static partial void LogUnpriced(ILogger logger, string requestId, string model, DateTimeOffset receivedAt);
}
