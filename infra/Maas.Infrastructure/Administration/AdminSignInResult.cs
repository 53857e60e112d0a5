using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Administration;

/// <summary>What a sign-in attempt came to; <see cref="Admin"/> is set only when it succeeded.</summary>
public sealed record AdminSignInResult(AdminSignInOutcome Outcome, PortalAdmin? Admin, DateTimeOffset? LockedUntil);
