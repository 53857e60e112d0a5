using Maas.Infrastructure.Administration;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Maas.Infrastructure.Tests.Administration;

public sealed class PortalAdminRegistryTests : IAsyncLifetime
{
    private const string Password = "correct-horse-battery-staple";
    private static readonly AdminLockoutPolicy Policy = new(3, TimeSpan.FromMinutes(10));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        await using var db = _database.CreateContext();
        await new PortalAdminRegistry(db, _time).CreateAsync("Alice", Password, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Only_an_identity_password_hash_is_stored_and_the_right_password_signs_in()
    {
        await using var db = _database.CreateContext();
        var row = await db.PortalAdmins.AsNoTracking().SingleAsync();
        Assert.Equal("alice", row.UserName);
        Assert.DoesNotContain(Password, row.PasswordHash, StringComparison.Ordinal);
        // Identity's V3 format: base64 of 0x01 | PRF | iterations | salt length | salt | subkey.
        Assert.Equal(0x01, Convert.FromBase64String(row.PasswordHash)[0]);

        var result = await new PortalAdminRegistry(db, _time).SignInAsync("ALICE ", Password, Policy, CancellationToken.None);
        Assert.Equal(AdminSignInOutcome.SignedIn, result.Outcome);
        Assert.Equal(_time.GetUtcNow(), (await db.PortalAdmins.AsNoTracking().SingleAsync()).LastSignInAt);
    }

    [Fact]
    public async Task Wrong_passwords_and_unknown_users_are_the_same_refusal()
    {
        await using var db = _database.CreateContext();
        var registry = new PortalAdminRegistry(db, _time);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("alice", "wrong-password-123", Policy, CancellationToken.None)).Outcome);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("nobody", Password, Policy, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task The_failure_that_reaches_the_limit_locks_the_account_until_the_lockout_ends_even_for_the_right_password()
    {
        await using var db = _database.CreateContext();
        var registry = new PortalAdminRegistry(db, _time);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("alice", "wrong-1-aaaaaaaa", Policy, CancellationToken.None)).Outcome);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("alice", "wrong-2-aaaaaaaa", Policy, CancellationToken.None)).Outcome);
        var third = await registry.SignInAsync("alice", "wrong-3-aaaaaaaa", Policy, CancellationToken.None);
        Assert.Equal(AdminSignInOutcome.LockedOut, third.Outcome);
        Assert.Equal(_time.GetUtcNow() + Policy.Duration, third.LockedUntil);

        _time.Advance(Policy.Duration - TimeSpan.FromSeconds(1));
        Assert.Equal(AdminSignInOutcome.LockedOut, (await registry.SignInAsync("alice", Password, Policy, CancellationToken.None)).Outcome);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(AdminSignInOutcome.SignedIn, (await registry.SignInAsync("alice", Password, Policy, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_success_resets_the_failure_count()
    {
        await using var db = _database.CreateContext();
        var registry = new PortalAdminRegistry(db, _time);
        await registry.SignInAsync("alice", "wrong-1-aaaaaaaa", Policy, CancellationToken.None);
        await registry.SignInAsync("alice", "wrong-2-aaaaaaaa", Policy, CancellationToken.None);
        await registry.SignInAsync("alice", Password, Policy, CancellationToken.None);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("alice", "wrong-3-aaaaaaaa", Policy, CancellationToken.None)).Outcome);
        Assert.Equal(1, (await db.PortalAdmins.AsNoTracking().SingleAsync()).FailedSignIns);
    }

    [Fact]
    public async Task Concurrent_failures_are_all_counted()
    {
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            await using var db = _database.CreateContext();
            return (await new PortalAdminRegistry(db, _time).SignInAsync("alice", $"wrong-{i}-aaaaaaaa", new AdminLockoutPolicy(100, TimeSpan.FromMinutes(1)), CancellationToken.None)).Outcome;
        });
        Assert.All(await Task.WhenAll(attempts), o => Assert.Equal(AdminSignInOutcome.WrongCredentials, o));
        await using var check = _database.CreateContext();
        Assert.Equal(8, (await check.PortalAdmins.AsNoTracking().SingleAsync()).FailedSignIns);
    }

    [Fact]
    public async Task Setting_a_password_lifts_a_lockout_and_bad_names_short_passwords_and_duplicates_are_refused()
    {
        await using var db = _database.CreateContext();
        var registry = new PortalAdminRegistry(db, _time);
        for (var i = 0; i < Policy.MaxFailedSignIns; i++)
        {
            await registry.SignInAsync("alice", $"wrong-{i}-aaaaaaaa", Policy, CancellationToken.None);
        }

        await registry.SetPasswordAsync("alice", "a-new-long-password", CancellationToken.None);
        Assert.Equal(AdminSignInOutcome.SignedIn, (await registry.SignInAsync("alice", "a-new-long-password", Policy, CancellationToken.None)).Outcome);
        Assert.Equal(AdminSignInOutcome.WrongCredentials, (await registry.SignInAsync("alice", Password, Policy, CancellationToken.None)).Outcome);

        await Assert.ThrowsAsync<AdministrationException>(() => registry.CreateAsync("alice", "another-long-password", CancellationToken.None));
        await Assert.ThrowsAsync<AdministrationException>(() => registry.CreateAsync("bob", "short", CancellationToken.None));
        await Assert.ThrowsAsync<AdministrationException>(() => registry.CreateAsync("bob smith", "another-long-password", CancellationToken.None));
        Assert.Equal(20, PortalAdminRegistry.GeneratePassword().Length);
    }
}
