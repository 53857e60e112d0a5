namespace Maas.Infrastructure.Persistence;

/// <summary>
/// One administrative action (who, what, when, on what, the state before and after), appended by the portal and never
/// changed: the table has no update or delete path in code, and a trigger refuses both.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Who acted: "admin:{user}" for a portal password sign-in, "oidc:{name}" for one through the identity provider.</summary>
    public required string Actor { get; set; }

    /// <summary>What was done, e.g. key.revoke, budget.set (<see cref="Administration.AuditActions"/>).</summary>
    public required string Action { get; set; }

    /// <summary>The tenant acted on, when there is one (filterable).</summary>
    public string? TenantId { get; set; }

    /// <summary>The thing acted on, e.g. a key id, an invoice id, a model.</summary>
    public required string Target { get; set; }

    /// <summary>JSON of the state before the action; null when there was none (a created thing).</summary>
    public string? Before { get; set; }

    /// <summary>JSON of the state after the action.</summary>
    public string? After { get; set; }
}
