namespace Maas.Infrastructure.Billing;

/// <summary>An invoice is a draft (regenerated at will) until finalised, after which it never changes.</summary>
public static class InvoiceStatuses
{
    public const string Draft = "draft";
    public const string Finalized = "finalized";
}
