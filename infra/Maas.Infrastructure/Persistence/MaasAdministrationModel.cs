using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Persistence;

/// <summary>
/// The portal's tables: portal_admins (administrators and their sign-in state) and audit_log (append-only; the trigger
/// that refuses updates and deletes is raw SQL in the <c>Administration</c> migration, see <see cref="Migrations.AdministrationSql"/>).
/// </summary>
internal static class MaasAdministrationModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PortalAdmin>(e =>
        {
            e.ToTable("portal_admins");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id");
            e.Property(a => a.UserName).HasColumnName("user_name").HasMaxLength(64);
            e.Property(a => a.PasswordHash).HasColumnName("password_hash").HasMaxLength(256);
            e.Property(a => a.FailedSignIns).HasColumnName("failed_sign_ins");
            e.Property(a => a.LockedUntil).HasColumnName("locked_until");
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
            e.Property(a => a.LastSignInAt).HasColumnName("last_sign_in_at");
            e.HasIndex(a => a.UserName).IsUnique();
        });

        modelBuilder.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(a => a.At).HasColumnName("at");
            e.Property(a => a.Actor).HasColumnName("actor").HasMaxLength(200);
            e.Property(a => a.Action).HasColumnName("action").HasMaxLength(64);
            e.Property(a => a.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(a => a.Target).HasColumnName("target").HasMaxLength(200);
            e.Property(a => a.Before).HasColumnName("before").HasColumnType("jsonb");
            e.Property(a => a.After).HasColumnName("after").HasColumnType("jsonb");
            e.HasIndex(a => a.At);
            e.HasIndex(a => new { a.TenantId, a.At });
        });
    }
}
