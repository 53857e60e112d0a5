using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Maas.Infrastructure.Tests.Billing;

public sealed class InvoiceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset October = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await TestPrices.SeedAsync(_database, "model-a", "model-b");
        await using var db = _database.CreateContext();
        await new TenantRegistry(db).CreateAsync("acme", "Acme", null, null, null, CancellationToken.None);
        await new TenantRegistry(db).CreateAsync("other", "Other", null, null, null, CancellationToken.None);
        db.UsageHourly.AddRange(
            Hourly("acme", "k1", "model-a", October.AddHours(1), requests: 3, prompt: 3000, cached: 1000, completion: 500, miss: 0.00054m, hit: 0.00007m, output: 0.00055m),
            Hourly("acme", "k2", "model-a", October.AddDays(20), requests: 1, prompt: 1_000_000, cached: 0, completion: 1_000_000, miss: 0.27m, hit: 0m, output: 1.10m),
            Hourly("acme", "k1", "model-b", October.AddDays(30).AddHours(23), requests: 2, prompt: 10, cached: 0, completion: 0, miss: 0.0000027m, hit: 0m, output: 0m),
            Hourly("acme", "k1", "model-a", October.AddMonths(1), requests: 9, prompt: 9, cached: 0, completion: 9, miss: 9m, hit: 0m, output: 9m),
            Hourly("other", "k9", "model-a", October.AddDays(2), requests: 5, prompt: 5, cached: 0, completion: 5, miss: 5m, hit: 0m, output: 5m));
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task An_invoice_has_one_line_per_model_and_token_class_with_amounts_rounded_per_line()
    {
        await using var db = _database.CreateContext();
        var invoice = await new InvoiceService(db).GenerateAsync("acme", October, finalize: false, CancellationToken.None);

        Assert.Equal("inv_202610_acme", invoice.Id);
        Assert.Equal(InvoiceStatuses.Draft, invoice.Status);
        Assert.Equal((October, October.AddMonths(1)), (invoice.PeriodStart, invoice.PeriodEnd));
        Assert.Equal(
            [
                ("model-a", TokenClasses.InputCacheMiss, 1_002_000L, 0.27m),   // 0.27054 → 0.27
                ("model-a", TokenClasses.InputCacheHit, 1_000L, 0.00m),        // 0.00007 → 0.00
                ("model-a", TokenClasses.Output, 1_000_500L, 1.10m),           // 1.10055 → 1.10
                ("model-b", TokenClasses.InputCacheMiss, 10L, 0.00m),
            ],
            invoice.Lines.OrderBy(l => l.LineNumber).Select(l => (l.Model, l.TokenClass, l.Tokens, l.Amount)));
        Assert.Equal(1.37m, invoice.Total);
        Assert.Equal(0.27m, invoice.Lines[0].AveragePricePerMillion);
    }

    [Fact]
    public async Task Generating_twice_gives_the_same_invoice()
    {
        await using var db = _database.CreateContext();
        var first = await new InvoiceService(db).GenerateAsync("acme", October, finalize: false, CancellationToken.None);
        var firstLines = first.Lines.Select(l => (l.LineNumber, l.Model, l.TokenClass, l.Tokens, l.Amount)).ToList();

        await using var again = _database.CreateContext();
        var second = await new InvoiceService(again).GenerateAsync("acme", October.AddDays(12), finalize: false, CancellationToken.None);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Total, second.Total);
        Assert.Equal(firstLines, second.Lines.OrderBy(l => l.LineNumber).Select(l => (l.LineNumber, l.Model, l.TokenClass, l.Tokens, l.Amount)));
        await using var check = _database.CreateContext();
        Assert.Equal(1, await check.Invoices.CountAsync(i => i.TenantId == "acme"));
        Assert.Equal(firstLines.Count, await check.InvoiceLines.CountAsync(l => l.InvoiceId == first.Id));
    }

    [Fact]
    public async Task A_finalised_invoice_never_changes_and_the_database_refuses_to_edit_or_delete_it()
    {
        await using (var db = _database.CreateContext())
        {
            var invoice = await new InvoiceService(db).GenerateAsync("acme", October, finalize: true, CancellationToken.None);
            Assert.Equal(InvoiceStatuses.Finalized, invoice.Status);
            Assert.NotNull(invoice.FinalizedAt);
        }

        // Late usage arrives for October; generating again returns the finalised invoice unchanged.
        await using (var db = _database.CreateContext())
        {
            db.UsageHourly.Add(Hourly("acme", "k1", "model-b", October.AddDays(3), requests: 1, prompt: 1, cached: 0, completion: 1, miss: 50m, hit: 0m, output: 50m));
            await db.SaveChangesAsync();
            var again = await new InvoiceService(db).GenerateAsync("acme", October, finalize: false, CancellationToken.None);
            Assert.Equal(1.37m, again.Total);
            Assert.Equal(4, again.Lines.Count);
        }

        foreach (var sql in new[]
        {
            "UPDATE invoices SET total = 0 WHERE id = 'inv_202610_acme'",
            "DELETE FROM invoices WHERE id = 'inv_202610_acme'",
            "UPDATE invoice_lines SET amount = 0 WHERE invoice_id = 'inv_202610_acme'",
            "DELETE FROM invoice_lines WHERE invoice_id = 'inv_202610_acme'",
            "INSERT INTO invoice_lines (invoice_id, line_number, model, fine_tune, token_class, tokens, average_price_per_million, amount) VALUES ('inv_202610_acme', 99, 'x', '', 'output', 1, 1, 1)",
        })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(sql));
            Assert.Equal("55000", refused.SqlState);
        }
    }

    [Fact]
    public async Task A_month_that_has_not_ended_cannot_be_finalised()
    {
        await using var db = _database.CreateContext();
        var service = new InvoiceService(db);
        var thisMonth = DateTimeOffset.UtcNow;
        var refused = await Assert.ThrowsAsync<BillingException>(() => service.GenerateAsync("acme", thisMonth, finalize: true, CancellationToken.None));
        Assert.Contains("has not ended", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_month_with_unpriced_usage_cannot_be_finalised()
    {
        await using var db = _database.CreateContext();
        db.UsageHourly.Add(Hourly("acme", "k3", "model-c", October.AddDays(5), requests: 2, prompt: 1, cached: 0, completion: 1, miss: 0m, hit: 0m, output: 0m, unpriced: 2));
        await db.SaveChangesAsync();
        var refused = await Assert.ThrowsAsync<BillingException>(() => new InvoiceService(db).GenerateAsync("acme", October, finalize: true, CancellationToken.None));
        Assert.Contains("model-c: 2 requests", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generating_for_every_tenant_makes_each_invoice_and_reports_a_refusal_without_stopping_the_others()
    {
        await using var db = _database.CreateContext();
        db.UsageHourly.Add(Hourly("other", "k9", "model-c", October.AddDays(3), requests: 1, prompt: 1, cached: 0, completion: 1, miss: 0m, hit: 0m, output: 0m, unpriced: 1));
        await db.SaveChangesAsync();

        var runs = await new InvoiceService(db).GenerateForAllTenantsAsync(October, finalize: true, CancellationToken.None);

        Assert.Equal(["acme", "other"], runs.Select(r => r.TenantId));
        Assert.Equal(InvoiceStatuses.Finalized, runs[0].Invoice!.Status);
        Assert.Equal(1.37m, runs[0].Invoice!.Total);
        Assert.Null(runs[1].Invoice);
        Assert.Contains("model-c: 1 requests", runs[1].Error, StringComparison.Ordinal);
        await using var check = _database.CreateContext();
        Assert.False(await check.Invoices.AnyAsync(i => i.TenantId == "other"));
    }

    [Fact]
    public async Task The_CSV_export_has_a_header_one_row_per_line_and_a_total()
    {
        await using var db = _database.CreateContext();
        var invoice = await new InvoiceService(db).GenerateAsync("acme", October, finalize: false, CancellationToken.None);
        var csv = new StringWriter();
        await InvoiceCsv.WriteAsync(invoice, csv, CancellationToken.None);

        var lines = csv.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(InvoiceCsv.Header, lines[0]);
        Assert.Equal("inv_202610_acme,acme,2026-10-01,2026-11-01,USD,draft,1,model-a,,input_cache_miss,1002000,0.27,0.27", lines[1]);
        Assert.Equal(6, lines.Count);
        Assert.Equal("inv_202610_acme,acme,2026-10-01,2026-11-01,USD,draft,,,,total,,,1.37", lines[5]);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static UsageHourly Hourly(string tenant, string key, string model, DateTimeOffset hour, long requests, long prompt, long cached, long completion, decimal miss, decimal hit, decimal output, long unpriced = 0) => new()
    {
        TenantId = tenant,
        KeyId = key,
        Model = model,
        Hour = hour,
        Requests = requests,
        PromptTokens = prompt,
        CachedPromptTokens = cached,
        CompletionTokens = completion,
        InputCacheMissCost = miss,
        InputCacheHitCost = hit,
        OutputCost = output,
        Cost = miss + hit + output,
        UnpricedRequests = unpriced,
    };
}
