namespace Maas.Infrastructure.Administration;

/// <summary>How many failed sign-ins in a row lock an administrator out, and for how long.</summary>
public sealed record AdminLockoutPolicy(int MaxFailedSignIns, TimeSpan Duration)
{
    /// <summary>Five failures lock the account for 15 minutes (ASP.NET Core Identity's defaults are 5 and 5 minutes).</summary>
    public static AdminLockoutPolicy Default { get; } = new(5, TimeSpan.FromMinutes(15));
}
