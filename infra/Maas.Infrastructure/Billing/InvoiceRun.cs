using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Billing;

/// <summary>One tenant's outcome of generating a month's invoices for every tenant: the invoice, or why it was refused.</summary>
public sealed record InvoiceRun(string TenantId, Invoice? Invoice, string? Error);
