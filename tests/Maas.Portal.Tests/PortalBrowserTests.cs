using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Maas.Portal.Tests;

/// <summary>
/// The portal in Debian's chromium, through the gateway's /portal route, against the real api, PostgreSQL and Redis:
/// what an administrator does, and that it took effect where it matters (the gateway, the database, /v1/usage).
/// Every page is saved as a screenshot under .data/portal-screenshots/.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class PortalBrowserTests(PortalFixture portal)
{
    [Fact]
    public async Task Signing_in_opens_the_tenant_list_with_month_to_date_spend_and_budget_use_sortable_by_column()
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalUrl);
        Assert.Contains("/portal/signin", page.Url, StringComparison.Ordinal);
        await PortalFixture.ScreenshotAsync(page, "sign-in");
        await page.FillAsync("#UserName", PortalFixture.Admin);
        await page.FillAsync("#Password", PortalFixture.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("table#tenants");
        await PortalFixture.ScreenshotAsync(page, "tenants");

        // Default order: spend, highest first. acme has the seeded usage, initech is over its 0.01 budget, globex has none.
        Assert.Equal([PortalFixture.Acme, PortalFixture.Initech, PortalFixture.Globex], await TenantOrderAsync(page));
        decimal acmeSpend;
        await using (var db = portal.Database.CreateContext())
        {
            acmeSpend = (await new BudgetRegistry(db).ShowAsync(PortalFixture.Acme, CancellationToken.None)).SpentThisMonth;
        }

        Assert.True(acmeSpend > 0);
        Assert.Equal(acmeSpend.ToString("N2", CultureInfo.InvariantCulture) + " USD", (await page.InnerTextAsync("tr[data-tenant=acme] td[data-field=spend]")).Trim());
        Assert.Equal("over", await page.GetAttributeAsync("tr[data-tenant=initech]", "data-state"));
        Assert.Equal("over", await page.GetAttributeAsync("tr[data-tenant=initech] svg.budget-bar", "data-state"));
        Assert.Contains("over budget", await page.InnerTextAsync("tr[data-tenant=initech]"), StringComparison.Ordinal);

        await page.ClickAsync("th a[data-sort=id]");
        await page.WaitForURLAsync(url => url.Contains("sort=id", StringComparison.Ordinal));
        Assert.Equal([PortalFixture.Acme, PortalFixture.Globex, PortalFixture.Initech], await TenantOrderAsync(page));
        await page.ClickAsync("th a[data-sort=id]");
        await page.WaitForURLAsync(url => url.Contains("dir=desc", StringComparison.Ordinal));
        Assert.Equal([PortalFixture.Initech, PortalFixture.Globex, PortalFixture.Acme], await TenantOrderAsync(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_repeated_failures_lock_the_account_even_against_the_right_password()
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalUrl + "signin");
        for (var attempt = 1; attempt <= PortalFixture.MaxFailedSignIns; attempt++)
        {
            await page.FillAsync("#UserName", PortalFixture.LockoutAdmin);
            await page.FillAsync("#Password", "not-the-password-" + attempt);
            await page.ClickAsync("button[type=submit]");
            var error = await page.InnerTextAsync("#signin-error");
            if (attempt < PortalFixture.MaxFailedSignIns)
            {
                Assert.Equal("Wrong user name or password.", error);
                if (attempt == 1)
                {
                    await PortalFixture.ScreenshotAsync(page, "sign-in-failed");
                }
            }
            else
            {
                Assert.StartsWith("Too many failed sign-ins", error, StringComparison.Ordinal);
            }
        }

        await page.FillAsync("#UserName", PortalFixture.LockoutAdmin);
        await page.FillAsync("#Password", PortalFixture.LockoutAdminPassword);
        await page.ClickAsync("button[type=submit]");
        Assert.StartsWith("Too many failed sign-ins", await page.InnerTextAsync("#signin-error"), StringComparison.Ordinal);
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "maas_portal");

        await using var db = portal.Database.CreateContext();
        var entries = await new AuditLog(db).QueryAsync(new AuditQuery(Actor: "admin:" + PortalFixture.LockoutAdmin), CancellationToken.None);
        Assert.Equal(PortalFixture.MaxFailedSignIns - 1, entries.Count(e => e.Action == AuditActions.SignInFailed));
        Assert.Equal(2, entries.Count(e => e.Action == AuditActions.LockedOut));
        Assert.DoesNotContain(entries, e => e.Action == AuditActions.SignIn);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_tenant_page_charts_the_seeded_usage_by_day_and_model_in_three_token_classes()
    {
        var page = await portal.SignedInPageAsync();
        await page.ClickAsync("tr[data-tenant=acme] a");
        await page.WaitForSelectorAsync("#usage-chart svg");
        await PortalFixture.ScreenshotAsync(page, "tenant");

        var expected = SeededUsage.ExpectedSegments(portal.AcmeUsage);
        var json = await page.EvalOnSelectorAllAsync<string>("#usage-chart rect.segment",
            "els => JSON.stringify(els.map(e => ({ day: e.dataset.day, model: e.dataset.model, tokenClass: e.dataset.class, tokens: Number(e.dataset.tokens), height: Number(e.getAttribute('height')) })))");
        var segments = JsonSerializer.Deserialize<Segment[]>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var shown = segments.ToDictionary(s => (s.Day, s.Model, s.TokenClass), s => (long)s.Tokens);
        Assert.Equal(expected.OrderBy(e => e.Key).ToList(), shown.OrderBy(e => e.Key).ToList());
        Assert.Equal(2, segments.Select(s => s.Model).Distinct().Count());
        Assert.Equal(SeededUsage.Days, segments.Select(s => s.Day).Distinct().Count());

        // Heights are proportional to tokens: the tallest segment is the one with the most tokens.
        var tallest = segments.MaxBy(s => s.Height)!;
        Assert.Equal(segments.Max(s => s.Tokens), tallest.Tokens);
        Assert.Equal(0, segments.Where(s => s.Tokens == 0).Sum(s => s.Height));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_key_created_in_the_browser_works_at_the_gateway_and_once_revoked_there_gets_401_within_a_second()
    {
        var page = await portal.SignedInPageAsync();
        await page.GotoAsync(portal.PortalUrl + "tenants/" + PortalFixture.Acme);
        await page.FillAsync("#create-key input[name=keyName]", "line-3 HMI");
        await page.ClickAsync("#create-key button[type=submit]");
        var secret = (await page.InnerTextAsync("#new-key-secret")).Trim();
        Assert.StartsWith("sk-maas-", secret, StringComparison.Ordinal);
        await PortalFixture.ScreenshotAsync(page, "tenant-key-created");

        // Shown once: neither the page nor the database has it afterwards.
        await page.GotoAsync(portal.PortalUrl + "tenants/" + PortalFixture.Acme);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await using (var db = portal.Database.CreateContext())
        {
            var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "line-3 HMI");
            Assert.Equal(Infrastructure.Tenancy.ApiKeySecret.Hash(secret), stored.SecretHash);
        }

        using var gateway = new HttpClient { BaseAddress = portal.Gateway.Address };
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using (var allowed = await gateway.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        await page.ClickAsync("tr:has-text('line-3 HMI') button[data-revoke]");
        await page.WaitForSelectorAsync("p.notice.ok:has-text('revoked')");
        var revokedAt = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await gateway.GetAsync("/v1/models");
            status = response.StatusCode;
        }
        while (status != HttpStatusCode.Unauthorized && revokedAt.Elapsed < TimeSpan.FromSeconds(5));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(revokedAt.Elapsed < TimeSpan.FromSeconds(1), $"401 only after {revokedAt.Elapsed.TotalMilliseconds:0} ms");
        Assert.Contains("1 gateway(s) notified", await page.InnerTextAsync("p.notice.ok"), StringComparison.Ordinal);
        Assert.Contains("revoked", await page.InnerTextAsync("tr:has-text('line-3 HMI')"), StringComparison.Ordinal);

        await using (var db = portal.Database.CreateContext())
        {
            var audit = await new AuditLog(db).QueryAsync(new AuditQuery(TenantId: PortalFixture.Acme), CancellationToken.None);
            var keyId = (await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Name == "line-3 HMI")).Id.ToString("D");
            Assert.Contains(audit, e => e.Action == AuditActions.KeyCreate && e.Target == keyId && e.Actor == "admin:" + PortalFixture.Admin);
            var revoke = Assert.Single(audit, e => e.Action == AuditActions.KeyRevoke && e.Target == keyId);
            Assert.Contains("\"revokedAt\": null", revoke.Before!, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, string.Join(' ', audit.Select(e => e.After)), StringComparison.Ordinal);
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_budget_changed_in_the_browser_is_stored_shown_and_audited_with_before_and_after()
    {
        var page = await portal.SignedInPageAsync();
        await page.GotoAsync(portal.PortalUrl + "tenants/" + PortalFixture.Globex);
        await page.FillAsync("#budget-form input[name=monthlyBudget]", "12.50");
        await page.ClickAsync("#budget-form button[type=submit]");
        await page.WaitForSelectorAsync("p.notice.ok:has-text('12.50')");
        Assert.Equal("12.50 USD", (await page.InnerTextAsync("#tenant-budget")).Trim());

        await using (var db = portal.Database.CreateContext())
        {
            Assert.Equal(12.50m, (await new BudgetRegistry(db).ShowAsync(PortalFixture.Globex, CancellationToken.None)).MonthlyBudget);
            var entry = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.BudgetSet, TenantId: PortalFixture.Globex), CancellationToken.None));
            Assert.Equal("{\"monthlyBudget\": 100}", entry.Before);
            Assert.Equal("{\"monthlyBudget\": 12.50}", entry.After);
        }

        // Clearing it is "no budget", not zero.
        await page.FillAsync("#budget-form input[name=monthlyBudget]", "");
        await page.ClickAsync("#budget-form button[type=submit]");
        await page.WaitForSelectorAsync("p.notice.ok:has-text('removed')");
        await using (var db = portal.Database.CreateContext())
        {
            Assert.Null((await new BudgetRegistry(db).ShowAsync(PortalFixture.Globex, CancellationToken.None)).MonthlyBudget);
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_invoice_csv_downloaded_from_the_portal_agrees_with_v1_usage_for_the_month()
    {
        var page = await portal.SignedInPageAsync();
        await page.GotoAsync(portal.PortalUrl + "tenants/" + PortalFixture.Acme);
        await page.ClickAsync("button:has-text('Generate draft invoice')");
        await page.WaitForSelectorAsync("#invoice-lines");
        await PortalFixture.ScreenshotAsync(page, "invoice");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-csv"));
        var file = Path.Combine(PortalFixture.ScreenshotFolder, download.SuggestedFilename);
        await download.SaveAsAsync(file);
        var rows = (await File.ReadAllLinesAsync(file)).Select(l => l.Split(',')).ToList();
        Assert.Equal(InvoiceCsv.Header, string.Join(',', rows[0]));
        var lines = rows.Skip(1).Where(r => r[9] != "total").ToList();
        var total = decimal.Parse(rows[^1][12], CultureInfo.InvariantCulture);
        Assert.Equal("total", rows[^1][9]);

        // The same month from the tenant's own view: GET /v1/usage through the gateway with acme's key.
        var now = DateTimeOffset.UtcNow;
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        using var gateway = new HttpClient { BaseAddress = portal.Gateway.Address };
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.AcmeKey.Secret);
        using var usage = JsonDocument.Parse(await gateway.GetStringAsync($"/v1/usage?start={monthStart.ToUnixTimeSeconds()}&end={monthStart.AddMonths(1).ToUnixTimeSeconds()}&group_by=model"));
        var results = usage.RootElement.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).ToList();
        Assert.NotEmpty(results);
        decimal exactCost = 0;
        foreach (var result in results)
        {
            var model = result.GetProperty("model").GetString()!;
            var input = result.GetProperty("input_tokens").GetInt64();
            var cached = result.GetProperty("input_cached_tokens").GetInt64();
            Assert.Equal(input - cached, Tokens(lines, model, "input_cache_miss"));
            Assert.Equal(cached, Tokens(lines, model, "input_cache_hit"));
            Assert.Equal(result.GetProperty("output_tokens").GetInt64(), Tokens(lines, model, "output"));
            exactCost += result.GetProperty("cost").GetProperty("value").GetDecimal();
        }

        // Lines are rounded to cents each; the total is their sum.
        Assert.Equal(lines.Sum(l => decimal.Parse(l[12], CultureInfo.InvariantCulture)), total);
        Assert.True(Math.Abs(total - exactCost) <= 0.005m * lines.Count, $"invoice total {total} vs /v1/usage {exactCost}");
        Assert.Equal(Math.Round(exactCost, 2, MidpointRounding.AwayFromZero), total);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_price_book_shows_past_prices_read_only_adds_a_future_price_and_refuses_one_in_the_past()
    {
        var page = await portal.SignedInPageAsync();
        await page.GotoAsync(portal.PortalUrl + "prices");
        Assert.Equal(1, await page.Locator("#prices tr[data-state=past]").CountAsync());
        Assert.Equal(2, await page.Locator("#prices tr[data-state='in effect']").CountAsync());
        Assert.Equal(0, await page.Locator("#prices tbody input, #prices tbody button, #prices tbody form").CountAsync());

        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);
        await FillPriceAsync(page, SeededUsage.ModelB, tomorrow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.WaitForSelectorAsync("p.notice.ok:has-text('added')");
        Assert.Equal(1, await page.Locator("#prices tr[data-state=scheduled]").CountAsync());
        await PortalFixture.ScreenshotAsync(page, "prices");

        await FillPriceAsync(page, SeededUsage.ModelB, DateTimeOffset.UtcNow.AddDays(-3).UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await page.WaitForSelectorAsync("p.notice.error");
        Assert.Contains("past prices are read-only", await page.InnerTextAsync("p.notice.error"), StringComparison.Ordinal);
        await using var db = portal.Database.CreateContext();
        Assert.Equal(2, await db.Prices.CountAsync(p => p.Model == SeededUsage.ModelB));
        Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.PriceAdd), CancellationToken.None));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Invoices_for_every_tenant_are_generated_and_last_months_finalised_from_the_invoice_list_and_the_audit_log_filters_by_action()
    {
        var page = await portal.SignedInPageAsync();
        await page.GotoAsync(portal.PortalUrl + "invoices");
        var month = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await page.FillAsync("#generate-invoices input[name=month]", month);
        await page.ClickAsync("#generate-invoices button[type=submit]");
        await page.WaitForSelectorAsync("p.notice.ok:has-text('3 invoice(s)')");
        foreach (var tenant in new[] { PortalFixture.Acme, PortalFixture.Globex, PortalFixture.Initech })
        {
            Assert.Equal(1, await page.Locator($"#invoices tr[data-invoice='{InvoiceService.IdFor(tenant, DateTimeOffset.UtcNow)}']").CountAsync());
        }

        await PortalFixture.ScreenshotAsync(page, "invoices");

        // Generating again replaces the drafts: the audit log has each draft as it was before.
        await page.FillAsync("#generate-invoices input[name=month]", month);
        await page.EvalOnSelectorAsync("p.notice.ok", "e => e.remove()"); // so the wait below sees the next page's notice
        await page.ClickAsync("#generate-invoices button[type=submit]");
        await page.WaitForSelectorAsync("p.notice.ok:has-text('3 invoice(s)')");
        await using (var db = portal.Database.CreateContext())
        {
            var regenerated = (await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.InvoiceGenerate, TenantId: PortalFixture.Globex), CancellationToken.None))
                .Where(e => e.Target == InvoiceService.IdFor(PortalFixture.Globex, DateTimeOffset.UtcNow)).ToList();
            Assert.Equal(2, regenerated.Count);
            Assert.Null(regenerated[1].Before);
            Assert.Contains("\"status\": \"draft\"", regenerated[0].Before!, StringComparison.Ordinal);
        }

        // This month has not ended: finalising is refused for every tenant, and nothing is finalised.
        await page.CheckAsync("#generate-invoices input[name=finalize]");
        await page.ClickAsync("#generate-invoices button[type=submit]");
        await page.WaitForSelectorAsync("p.notice.error:has-text('has not ended yet')");
        Assert.Equal(0, await page.Locator("#invoices .pill.finalized").CountAsync());

        // Last month has ended: every tenant's invoice for it is finalised from the same form, and audited as such.
        var lastMonth = DateTimeOffset.UtcNow.AddMonths(-1);
        var lastMonthText = lastMonth.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        await page.FillAsync("#generate-invoices input[name=month]", lastMonthText);
        await page.CheckAsync("#generate-invoices input[name=finalize]");
        await page.ClickAsync("#generate-invoices button[type=submit]");
        await page.WaitForSelectorAsync($"p.notice.ok:has-text('3 invoice(s) for {lastMonthText} finalised')");
        foreach (var tenant in new[] { PortalFixture.Acme, PortalFixture.Globex, PortalFixture.Initech })
        {
            Assert.Equal(1, await page.Locator($"#invoices tr[data-invoice='{InvoiceService.IdFor(tenant, lastMonth)}'] .pill.finalized").CountAsync());
        }

        await using (var db = portal.Database.CreateContext())
        {
            Assert.Equal(3, await db.Invoices.CountAsync(i => i.Status == InvoiceStatuses.Finalized));
            var finalised = await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.InvoiceFinalize), CancellationToken.None);
            Assert.Equal(3, finalised.Count);
            Assert.All(finalised, e => Assert.Equal("admin:" + PortalFixture.Admin, e.Actor));
        }

        await page.GotoAsync(portal.PortalUrl + "audit?action=" + AuditActions.InvoiceGenerate);
        var actions = await page.Locator("#audit tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.action)");
        Assert.True(actions.Length >= 3);
        Assert.All(actions, a => Assert.Equal(AuditActions.InvoiceGenerate, a));
        await page.GotoAsync(portal.PortalUrl + "audit");
        await PortalFixture.ScreenshotAsync(page, "audit");
        Assert.True(await page.Locator("#audit tr[data-action='admin.sign_in']").CountAsync() >= 1);
        await page.Context.CloseAsync();
    }

    private static async Task FillPriceAsync(IPage page, string model, string effectiveFrom)
    {
        await page.FillAsync("#add-price input[name=model]", model);
        await page.FillAsync("#add-price input[name=inputMiss]", "0.15");
        await page.FillAsync("#add-price input[name=inputHit]", "0.03");
        await page.FillAsync("#add-price input[name=output]", "0.30");
        await page.FillAsync("#add-price input[name=effectiveFrom]", effectiveFrom);
        await page.ClickAsync("#add-price button[type=submit]");
    }

    private static long Tokens(List<string[]> lines, string model, string tokenClass) =>
        lines.Where(l => l[7] == model && l[9] == tokenClass).Sum(l => long.Parse(l[10], CultureInfo.InvariantCulture));

    private static async Task<string[]> TenantOrderAsync(IPage page) =>
        await page.Locator("#tenants tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.tenant)");

    private sealed record Segment(string Day, string Model, string TokenClass, double Tokens, double Height);
}
