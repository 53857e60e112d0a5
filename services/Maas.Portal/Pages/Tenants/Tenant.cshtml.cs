using System.Globalization;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Tenancy;
using Maas.Portal.Auditing;
using Maas.Portal.Charts;
using Maas.Portal.Formatting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Maas.Portal.Pages.Tenants;

/// <summary>
/// One tenant: usage chart by day and model, keys (create: the secret is shown once; revoke: at once at every gateway),
/// limits and budgets, invoices. Every change goes through the infrastructure operation the `maas` CLI uses and is audited.
/// </summary>
public sealed class TenantModel(
    MaasDbContext db,
    PortalAudit audit,
    ApiKeyRevocation revocation,
    IConnectionMultiplexer redis,
    TimeProvider time) : PageModel
{
    public const int MaxDays = 92;

    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    /// <summary>Days the chart covers, ending today (UTC).</summary>
    [BindProperty(SupportsGet = true)]
    public int Days { get; set; } = 30;

    public Tenant Tenant { get; private set; } = null!;

    public TenantBudgets Budgets { get; private set; } = null!;

    public IReadOnlyList<UsageChartBar> ChartBars { get; private set; } = [];

    public DateTimeOffset ChartStart { get; private set; }

    /// <summary>This month's usage per model.</summary>
    public IReadOnlyList<UsageBucket> MonthByModel { get; private set; } = [];

    public IReadOnlyList<Invoice> Invoices { get; private set; } = [];

    public string? Currency => Budgets.Currency;

    public string CurrentMonth => PortalFormat.Month(time.GetUtcNow());

    /// <summary>Set only on the response that created a key: its secret, never stored and never shown again.</summary>
    public IssuedApiKey? CreatedKey { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostCreateKeyAsync(string? keyName, int? keyRpm, CancellationToken cancellationToken)
    {
        try
        {
            CreatedKey = await new ApiKeyRegistry(db, time).CreateAsync(Id, string.IsNullOrWhiteSpace(keyName) ? null : keyName.Trim(), keyRpm, cancellationToken);
        }
        catch (TenancyException ex)
        {
            return Failed(ex.Message);
        }

        var key = CreatedKey.Key;
        await audit.AppendAsync(AuditActions.KeyCreate, Id, key.Id.ToString("D"), null, new { key.Id, key.Name, key.DisplayPrefix, key.RequestsPerMinute }, cancellationToken);
        // The secret is in this response only: no redirect (which would need it stored), and nothing may cache it.
        Response.Headers.CacheControl = "no-store";
        return await LoadAsync(cancellationToken) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        ApiKeyRevocationResult result;
        try
        {
            result = await new ApiKeyRevoker(db, revocation, time).RevokeAsync(keyId.ToString("D"), Id, redis, cancellationToken);
        }
        catch (TenancyException ex)
        {
            return Failed(ex.Message);
        }

        var key = result.Key;
        await audit.AppendAsync(AuditActions.KeyRevoke, Id, key.Id.ToString("D"),
            new { revokedAt = result.WasActive ? null : key.RevokedAt }, new { revokedAt = key.RevokedAt, announced = result.Announced, gateways = result.Receivers }, cancellationToken);
        return result.Announced
            ? Done($"Key {key.DisplayPrefix}… revoked; {result.Receivers} gateway(s) notified.")
            : Failed($"Key {key.DisplayPrefix}… is revoked, but gateways could not be notified ({result.AnnouncementError}): they refuse it once their key cache expires.");
    }

    public async Task<IActionResult> OnPostBudgetAsync(string? monthlyBudget, CancellationToken cancellationToken) =>
        await SetBudgetAsync(null, monthlyBudget, cancellationToken);

    public async Task<IActionResult> OnPostKeyBudgetAsync(Guid keyId, string? monthlyBudget, CancellationToken cancellationToken) =>
        await SetBudgetAsync(keyId, monthlyBudget, cancellationToken);

    public async Task<IActionResult> OnPostLimitsAsync(int maxConcurrent, int rpm, bool disabled, CancellationToken cancellationToken)
    {
        try
        {
            var (before, after) = await new TenantRegistry(db, time).SetLimitsAsync(Id, maxConcurrent, rpm, disabled, cancellationToken);
            await audit.AppendAsync(AuditActions.TenantLimitsSet, Id, Id, before, after, cancellationToken);
            return Done($"Limits of {Id} saved: {after.MaxConcurrentRequests} concurrent, {after.RequestsPerMinute} requests per minute{(after.Disabled ? ", disabled" : "")}.");
        }
        catch (TenancyException ex)
        {
            return Failed(ex.Message);
        }
    }

    public async Task<IActionResult> OnPostInvoiceAsync(string month, CancellationToken cancellationToken)
    {
        if (!DateTimeOffset.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
        {
            return Failed($"'{month}' is not a month such as 2026-11.");
        }

        try
        {
            var before = await new InvoiceService(db, time).FindAsync(InvoiceService.IdFor(Id, start), cancellationToken);
            var invoice = await new InvoiceService(db, time).GenerateAsync(Id, start, finalize: false, cancellationToken);
            await audit.AppendAsync(AuditActions.InvoiceGenerate, Id, invoice.Id, before is null ? null : new { before.Status, before.Total }, new { invoice.Status, invoice.Total, lines = invoice.Lines.Count }, cancellationToken);
            TempData["Status"] = $"Invoice {invoice.Id} generated ({invoice.Status}).";
            return RedirectToPage("/Invoices/Invoice", new { id = invoice.Id });
        }
        catch (BillingException ex)
        {
            return Failed(ex.Message);
        }
    }

    private async Task<IActionResult> SetBudgetAsync(Guid? keyId, string? text, CancellationToken cancellationToken)
    {
        decimal? amount = null;
        if (!string.IsNullOrWhiteSpace(text) && !text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            if (!decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
            {
                return Failed($"'{text}' is not an amount such as 250.00 (leave it empty for no budget).");
            }

            amount = parsed;
        }

        try
        {
            var change = await new BudgetRegistry(db, time).SetAsync(Id, keyId, amount, cancellationToken);
            await audit.AppendAsync(AuditActions.BudgetSet, Id, keyId?.ToString("D") ?? Id, new { monthlyBudget = change.Before }, new { monthlyBudget = change.After }, cancellationToken);
            var what = keyId is null ? $"tenant {Id}" : $"key {keyId}";
            return Done(amount is null ? $"Monthly budget of {what} removed." : $"Monthly budget of {what} set to {amount.Value.ToString(CultureInfo.InvariantCulture)}.");
        }
        catch (BillingException ex)
        {
            return Failed(ex.Message);
        }
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == Id, cancellationToken);
        if (tenant is null)
        {
            return false;
        }

        Tenant = tenant;
        Budgets = await new BudgetRegistry(db, time).ShowAsync(Id, cancellationToken);
        Days = Math.Clamp(Days, 1, MaxDays);
        var now = time.GetUtcNow();
        var tomorrow = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        ChartStart = tomorrow.AddDays(-Days);
        ChartBars = UsageChart.Bars(await UsageReport.QueryAsync(db, Id, ChartStart, tomorrow, UsageGrouping.Day | UsageGrouping.Model, cancellationToken));
        MonthByModel = await UsageReport.QueryAsync(db, Id, UsageReport.MonthStart(now), tomorrow, UsageGrouping.Model, cancellationToken);
        Invoices = (await new InvoiceService(db, time).ListAsync(Id, cancellationToken)).OrderByDescending(i => i.PeriodStart).ToList();
        return true;
    }

    private RedirectToPageResult Done(string message)
    {
        TempData["Status"] = message;
        return RedirectToPage(new { id = Id });
    }

    private RedirectToPageResult Failed(string message)
    {
        TempData["Error"] = message;
        return RedirectToPage(new { id = Id });
    }
}
