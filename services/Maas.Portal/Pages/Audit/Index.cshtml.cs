using System.Globalization;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maas.Portal.Pages.Audit;

/// <summary>The audit log, newest first, filterable by actor, action, tenant and time range.</summary>
public sealed class IndexModel(MaasDbContext db, TimeProvider time) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Actor { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Tenant { get; set; }

    /// <summary>yyyy-MM-dd (UTC), inclusive.</summary>
    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    /// <summary>yyyy-MM-dd (UTC), inclusive.</summary>
    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? from = null, to = null;
        if (!string.IsNullOrWhiteSpace(From))
        {
            from = Day(From);
        }

        if (!string.IsNullOrWhiteSpace(To))
        {
            to = Day(To)?.AddDays(1);
        }

        Entries = await new AuditLog(db, time).QueryAsync(new AuditQuery(Actor, string.IsNullOrWhiteSpace(Action) ? null : Action, Tenant?.Trim(), from, to, 500), cancellationToken);
    }

    private DateTimeOffset? Day(string text)
    {
        if (DateTimeOffset.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var day))
        {
            return day;
        }

        Error = $"'{text}' is not a date such as 2026-12-01; that filter is ignored.";
        return null;
    }
}
