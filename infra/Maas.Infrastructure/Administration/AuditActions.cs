namespace Maas.Infrastructure.Administration;

/// <summary>The actions the audit log records (its "action" column).</summary>
public static class AuditActions
{
    public const string SignIn = "admin.sign_in";
    public const string SignInFailed = "admin.sign_in_failed";
    public const string LockedOut = "admin.locked_out";
    public const string SignOut = "admin.sign_out";
    public const string KeyCreate = "key.create";
    public const string KeyRevoke = "key.revoke";
    public const string BudgetSet = "budget.set";
    public const string TenantLimitsSet = "tenant.limits_set";
    public const string PriceAdd = "price.add";
    public const string InvoiceGenerate = "invoice.generate";
    public const string InvoiceFinalize = "invoice.finalize";

    public static IReadOnlyList<string> All { get; } =
        [SignIn, SignInFailed, LockedOut, SignOut, KeyCreate, KeyRevoke, BudgetSet, TenantLimitsSet, PriceAdd, InvoiceGenerate, InvoiceFinalize];
}
