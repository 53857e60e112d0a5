using System.Globalization;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Auditing;
using Maas.Portal.Formatting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Maas.Portal.Pages.Invoices;

/// <summary>Every invoice (filterable by month and tenant); generate or finalise a month's invoices for every tenant.</summary>
public sealed class IndexModel(MaasDbContext db, PortalAudit audit, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Month { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Tenant { get; set; }

    public IReadOnlyList<Invoice> Invoices { get; private set; } = [];

    /// <summary>The month the generate form offers: the previous one (the usual month to invoice and finalise).</summary>
    public string DefaultMonth => PortalFormat.Month(UsageReport.MonthStart(time.GetUtcNow()).AddMonths(-1));

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        IEnumerable<Invoice> invoices = await new InvoiceService(db, time).ListAsync(string.IsNullOrWhiteSpace(Tenant) ? null : Tenant.Trim(), cancellationToken);
        if (!string.IsNullOrWhiteSpace(Month))
        {
            invoices = invoices.Where(i => PortalFormat.Month(i.PeriodStart) == Month.Trim());
        }

        Invoices = invoices.OrderByDescending(i => i.PeriodStart).ThenBy(i => i.TenantId, StringComparer.Ordinal).ToList();
    }

    public async Task<IActionResult> OnPostGenerateAsync(string month, bool finalize, CancellationToken cancellationToken)
    {
        if (!DateTimeOffset.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
        {
            TempData["Error"] = $"'{month}' is not a month such as 2026-11.";
            return RedirectToPage();
        }

        // The drafts this run replaces, for the audit log's "before" (as the tenant and invoice pages record it).
        var before = await db.Invoices.AsNoTracking().Where(i => i.PeriodStart == start)
            .ToDictionaryAsync(i => i.TenantId, i => new { i.Status, i.Total }, StringComparer.Ordinal, cancellationToken);
        var runs = await new InvoiceService(db, time).GenerateForAllTenantsAsync(start, finalize, cancellationToken);
        foreach (var run in runs.Where(r => r.Invoice is not null))
        {
            await audit.AppendAsync(finalize ? AuditActions.InvoiceFinalize : AuditActions.InvoiceGenerate, run.TenantId, run.Invoice!.Id, before.GetValueOrDefault(run.TenantId),
                new { run.Invoice.Status, run.Invoice.Total, lines = run.Invoice.Lines.Count }, cancellationToken);
        }

        var refused = runs.Where(r => r.Error is not null).ToList();
        TempData["Status"] = $"{runs.Count - refused.Count} invoice(s) for {month} {(finalize ? "finalised" : "generated")}.";
        if (refused.Count > 0)
        {
            TempData["Error"] = string.Join(" ", refused.Select(r => $"{r.TenantId}: {r.Error}"));
        }

        return RedirectToPage(new { month });
    }
}
