namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A tenant's invoice for one calendar month (UTC). Generating it again replaces a draft's lines; a finalised
/// invoice never changes (a database trigger refuses updates and deletes of it and its lines).
/// </summary>
public sealed class Invoice
{
    /// <summary>"inv_{yyyyMM}_{tenant}": one invoice per tenant and month, so generating twice gives the same one.</summary>
    public required string Id { get; set; }

    public required string TenantId { get; set; }

    /// <summary>First instant of the month (UTC).</summary>
    public DateTimeOffset PeriodStart { get; set; }

    /// <summary>First instant of the next month (exclusive).</summary>
    public DateTimeOffset PeriodEnd { get; set; }

    public required string Currency { get; set; }

    /// <summary>draft or finalized.</summary>
    public required string Status { get; set; }

    /// <summary>Sum of the lines' (rounded) amounts.</summary>
    public decimal Total { get; set; }

    public DateTimeOffset GeneratedAt { get; set; }

    public DateTimeOffset? FinalizedAt { get; set; }

    public List<InvoiceLine> Lines { get; set; } = [];
}
