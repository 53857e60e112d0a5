using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Administration;

/// <summary>
/// Portal administrators: create (`maas admin create`, `maas dev seed`), set passwords, and check a sign-in with
/// lockout. Passwords are hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, per-user
/// salt); only the hash is stored.
/// </summary>
public sealed partial class PortalAdminRegistry(MaasDbContext db, TimeProvider? time = null)
{
    public const int MinimumPasswordLength = 12;
    private const string GeneratedAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private static readonly PasswordHasher<PortalAdmin> Hasher = new();

    /// <summary>Verified against when the user does not exist, so an unknown name costs as much time as a known one.</summary>
    private static readonly Lazy<string> DecoyHash = new(() => Hasher.HashPassword(null!, GeneratePassword()));

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>A random 20-character password (about 117 bits) for accounts created without one.</summary>
    public static string GeneratePassword() => RandomNumberGenerator.GetString(GeneratedAlphabet, 20);

    public static string NormalizeUserName(string userName) => userName.Trim().ToLowerInvariant();

    public async Task<PortalAdmin> CreateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var name = NormalizeUserName(userName);
        if (!UserNamePattern().IsMatch(name))
        {
            throw new AdministrationException($"user name '{userName}' is invalid: use 1-64 letters, digits, '.', '_', '-' or '@'.");
        }

        CheckPassword(password);
        if (await db.PortalAdmins.AnyAsync(a => a.UserName == name, cancellationToken))
        {
            throw new AdministrationException($"administrator '{name}' already exists.");
        }

        var admin = new PortalAdmin { Id = Guid.CreateVersion7(), UserName = name, PasswordHash = "", CreatedAt = _time.GetUtcNow() };
        admin.PasswordHash = Hasher.HashPassword(admin, password);
        db.PortalAdmins.Add(admin);
        await db.SaveChangesAsync(cancellationToken);
        return admin;
    }

    /// <summary>Sets a new password and lifts any lockout.</summary>
    public async Task<PortalAdmin> SetPasswordAsync(string userName, string password, CancellationToken cancellationToken)
    {
        CheckPassword(password);
        var name = NormalizeUserName(userName);
        var admin = await db.PortalAdmins.SingleOrDefaultAsync(a => a.UserName == name, cancellationToken)
            ?? throw new AdministrationException($"administrator '{name}' does not exist.");
        admin.PasswordHash = Hasher.HashPassword(admin, password);
        admin.FailedSignIns = 0;
        admin.LockedUntil = null;
        await db.SaveChangesAsync(cancellationToken);
        return admin;
    }

    public async Task<PortalAdmin?> FindAsync(string userName, CancellationToken cancellationToken)
    {
        var name = NormalizeUserName(userName);
        return await db.PortalAdmins.AsNoTracking().SingleOrDefaultAsync(a => a.UserName == name, cancellationToken);
    }

    public async Task<IReadOnlyList<PortalAdmin>> ListAsync(CancellationToken cancellationToken) =>
        await db.PortalAdmins.AsNoTracking().OrderBy(a => a.UserName).ToListAsync(cancellationToken);

    /// <summary>
    /// Checks a password. A locked account is refused without checking it; the failure that reaches the policy's limit
    /// locks the account and already answers <see cref="AdminSignInOutcome.LockedOut"/>. Counters change in single
    /// UPDATE statements, so concurrent attempts cannot lose a failure.
    /// </summary>
    public async Task<AdminSignInResult> SignInAsync(string userName, string password, AdminLockoutPolicy policy, CancellationToken cancellationToken)
    {
        var name = NormalizeUserName(userName);
        var now = _time.GetUtcNow();
        var admin = await db.PortalAdmins.AsNoTracking().SingleOrDefaultAsync(a => a.UserName == name, cancellationToken);
        if (admin is null)
        {
            Hasher.VerifyHashedPassword(null!, DecoyHash.Value, password);
            return new AdminSignInResult(AdminSignInOutcome.WrongCredentials, null, null);
        }

        if (admin.LockedUntil is { } until && until > now)
        {
            return new AdminSignInResult(AdminSignInOutcome.LockedOut, null, until);
        }

        var verdict = Hasher.VerifyHashedPassword(admin, admin.PasswordHash, password);
        if (verdict is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded)
        {
            var hash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(admin, password) : admin.PasswordHash;
            await db.PortalAdmins.Where(a => a.Id == admin.Id).ExecuteUpdateAsync(
                s => s.SetProperty(a => a.FailedSignIns, 0).SetProperty(a => a.LockedUntil, (DateTimeOffset?)null)
                    .SetProperty(a => a.LastSignInAt, now).SetProperty(a => a.PasswordHash, hash),
                cancellationToken);
            admin.FailedSignIns = 0;
            admin.LockedUntil = null;
            admin.LastSignInAt = now;
            return new AdminSignInResult(AdminSignInOutcome.SignedIn, admin, null);
        }

        var lockedUntil = now + policy.Duration;
        await db.PortalAdmins.Where(a => a.Id == admin.Id).ExecuteUpdateAsync(
            s => s.SetProperty(a => a.FailedSignIns, a => a.FailedSignIns + 1), cancellationToken);
        var locked = await db.PortalAdmins.Where(a => a.Id == admin.Id && a.FailedSignIns >= policy.MaxFailedSignIns).ExecuteUpdateAsync(
            s => s.SetProperty(a => a.FailedSignIns, 0).SetProperty(a => a.LockedUntil, lockedUntil), cancellationToken);
        return locked > 0
            ? new AdminSignInResult(AdminSignInOutcome.LockedOut, null, lockedUntil)
            : new AdminSignInResult(AdminSignInOutcome.WrongCredentials, null, null);
    }

    private static void CheckPassword(string password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumPasswordLength)
        {
            throw new AdministrationException($"a password needs at least {MinimumPasswordLength} characters.");
        }
    }

    [GeneratedRegex("^[a-z0-9._@-]{1,64}$")]
    private static partial Regex UserNamePattern();
}
