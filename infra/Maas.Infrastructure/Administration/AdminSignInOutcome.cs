namespace Maas.Infrastructure.Administration;

public enum AdminSignInOutcome
{
    SignedIn,

    /// <summary>Unknown user or wrong password (never said apart, so names cannot be probed).</summary>
    WrongCredentials,

    /// <summary>Too many failures: no password is checked until the lockout ends.</summary>
    LockedOut,
}
