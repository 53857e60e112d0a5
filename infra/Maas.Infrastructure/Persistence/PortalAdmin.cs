namespace Maas.Infrastructure.Persistence;

/// <summary>
/// A platform administrator who signs in to the billing portal (not a tenant: tenants have API keys). Created with
/// `maas admin create`; only ASP.NET Core Identity's password hash is stored. Failed sign-ins lock the account for a
/// while (<see cref="LockedUntil"/>).
/// </summary>
public sealed class PortalAdmin
{
    public Guid Id { get; set; }

    /// <summary>Lower-case sign-in name; unique.</summary>
    public required string UserName { get; set; }

    /// <summary>Identity's PasswordHasher V3 format (PBKDF2 with a per-user salt).</summary>
    public required string PasswordHash { get; set; }

    /// <summary>Failed sign-ins since the last successful one or the last lockout.</summary>
    public int FailedSignIns { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSignInAt { get; set; }
}
