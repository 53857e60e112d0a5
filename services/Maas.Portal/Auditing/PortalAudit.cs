using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Authentication;

namespace Maas.Portal.Auditing;

/// <summary>The audit log for the request's signed-in administrator: every page action writes through this.</summary>
public sealed class PortalAudit(MaasDbContext db, IHttpContextAccessor http, TimeProvider time)
{
    public Task<AuditEntry> AppendAsync(string action, string? tenantId, string target, object? before, object? after, CancellationToken cancellationToken)
    {
        var user = http.HttpContext?.User ?? throw new InvalidOperationException("Audited actions happen inside a request.");
        return new AuditLog(db, time).AppendAsync(AdminPrincipal.Actor(user), action, tenantId, target, before, after, cancellationToken);
    }
}
