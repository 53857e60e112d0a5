using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Maas.Portal.Pages;

/// <summary>Every tenant with month-to-date tokens, spend and budget use, sortable by each column.</summary>
public sealed class IndexModel(MaasDbContext db, TimeProvider time) : PageModel
{
    public static readonly IReadOnlyList<string> SortKeys = ["id", "name", "status", "requests", "tokens", "spend", "budget"];

    [BindProperty(SupportsGet = true)]
    public string Sort { get; set; } = "spend";

    [BindProperty(SupportsGet = true)]
    public string Dir { get; set; } = "desc";

    public IReadOnlyList<TenantRow> Rows { get; private set; } = [];

    public string? Currency { get; private set; }

    public DateTimeOffset MonthStart { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        MonthStart = UsageReport.MonthStart(time.GetUtcNow());
        var totals = await UsageReport.TotalsByTenantAsync(db, MonthStart, cancellationToken);
        var activeKeys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).GroupBy(k => k.TenantId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        Currency = (await new PriceBookRegistry(db, time).LoadAsync(cancellationToken)).Currency;
        var rows = (await db.Tenants.AsNoTracking().ToListAsync(cancellationToken))
            .Select(t => new TenantRow(t, totals.GetValueOrDefault(t.Id), activeKeys.GetValueOrDefault(t.Id)));

        if (!SortKeys.Contains(Sort))
        {
            Sort = "spend";
        }

        var descending = Dir != "asc";
        Dir = descending ? "desc" : "asc";
        Rows = (Sort switch
        {
            "id" => Order(rows, r => r.Tenant.Id, descending),
            "name" => Order(rows, r => r.Tenant.Name, descending),
            "status" => Order(rows, r => r.Status, descending),
            "requests" => Order(rows, r => r.Requests, descending),
            "tokens" => Order(rows, r => r.Tokens, descending),
            "budget" => Order(rows, r => r.BudgetUse, descending),
            _ => Order(rows, r => r.Spend, descending),
        }).ThenBy(r => r.Tenant.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>The direction a column header links to: the other one for the current column, descending for numbers, ascending for text.</summary>
    public string NextDir(string column) =>
        column == Sort ? (Dir == "asc" ? "desc" : "asc") : column is "id" or "name" or "status" ? "asc" : "desc";

    public string Arrow(string column) => column != Sort ? "" : Dir == "asc" ? " ▲" : " ▼";

    private static IOrderedEnumerable<TenantRow> Order<TKey>(IEnumerable<TenantRow> rows, Func<TenantRow, TKey> key, bool descending) =>
        descending ? rows.OrderByDescending(key, Comparer<TKey>.Default) : rows.OrderBy(key, Comparer<TKey>.Default);
}
