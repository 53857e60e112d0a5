using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Auditing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maas.Portal.Pages.Invoices;

/// <summary>One invoice: its lines and total, CSV download, regenerate (drafts) and finalise (ended months).</summary>
public sealed class InvoiceModel(MaasDbContext db, PortalAudit audit, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    public Invoice Invoice { get; private set; } = null!;

    /// <summary>Whether the month has ended (only then can the invoice be finalised).</summary>
    public bool MonthEnded => Invoice.PeriodEnd <= time.GetUtcNow();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var invoice = await new InvoiceService(db, time).FindAsync(Id, cancellationToken);
        if (invoice is null)
        {
            return NotFound();
        }

        Invoice = invoice;
        return Page();
    }

    public async Task<IActionResult> OnPostGenerateAsync(bool finalize, CancellationToken cancellationToken)
    {
        var service = new InvoiceService(db, time);
        var before = await service.FindAsync(Id, cancellationToken);
        if (before is null)
        {
            return NotFound();
        }

        try
        {
            var invoice = await service.GenerateAsync(before.TenantId, before.PeriodStart, finalize, cancellationToken);
            await audit.AppendAsync(finalize ? AuditActions.InvoiceFinalize : AuditActions.InvoiceGenerate, invoice.TenantId, invoice.Id,
                new { before.Status, before.Total }, new { invoice.Status, invoice.Total, lines = invoice.Lines.Count }, cancellationToken);
            TempData["Status"] = finalize ? $"Invoice {invoice.Id} finalised." : $"Invoice {invoice.Id} regenerated.";
        }
        catch (BillingException ex)
        {
            TempData["Error"] = ex.Message;
        }

        return RedirectToPage(new { id = Id });
    }
}
