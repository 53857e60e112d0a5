using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Persistence;

/// <summary>The platform's PostgreSQL schema (snake_case tables). Changes go through migrations.</summary>
public sealed class MaasDbContext(DbContextOptions<MaasDbContext> options) : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<ModelRegistration> Models => Set<ModelRegistration>();

    public DbSet<ModelPrice> Prices => Set<ModelPrice>();

    public DbSet<FineTune> FineTunes => Set<FineTune>();

    public DbSet<UsageEvent> UsageEvents => Set<UsageEvent>();

    public DbSet<UsageHourly> UsageHourly => Set<UsageHourly>();

    public DbSet<Invoice> Invoices => Set<Invoice>();

    public DbSet<InvoiceLine> InvoiceLines => Set<InvoiceLine>();

    public DbSet<BatchFile> BatchFiles => Set<BatchFile>();

    public DbSet<BatchJob> BatchJobs => Set<BatchJob>();

    public DbSet<BatchLine> BatchLines => Set<BatchLine>();

    public DbSet<PlantResponse> PlantResponses => Set<PlantResponse>();

    public DbSet<PlantSession> PlantSessions => Set<PlantSession>();

    public DbSet<PlantDelivery> PlantDeliveries => Set<PlantDelivery>();
    public DbSet<PortalAdmin> PortalAdmins => Set<PortalAdmin>();

    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();

    /// <summary>A context outside dependency injection (CLI, tests, design time).</summary>
    public static MaasDbContext Create(string connectionString)
    {
        var options = new DbContextOptionsBuilder<MaasDbContext>().UseNpgsql(connectionString).Options;
        return new MaasDbContext(options);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Tenant>(e =>
        {
            e.ToTable("tenants");
            e.HasKey(t => t.Id);
            e.Property(t => t.Id).HasColumnName("id").HasMaxLength(64);
            e.Property(t => t.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(t => t.Plan).HasColumnName("plan").HasMaxLength(64);
            e.Property(t => t.AllowedModels).HasColumnName("allowed_models");
            e.Property(t => t.MaxConcurrentRequests).HasColumnName("max_concurrent_requests");
            e.Property(t => t.RequestsPerMinute).HasColumnName("requests_per_minute");
            e.Property(t => t.Disabled).HasColumnName("disabled");
            e.Property(t => t.CreatedAt).HasColumnName("created_at");
            e.Property(t => t.MonthlyBudget).HasColumnName("monthly_budget");
        });
        modelBuilder.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(k => k.Id);
            e.Property(k => k.Id).HasColumnName("id");
            e.Property(k => k.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(k => k.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(k => k.DisplayPrefix).HasColumnName("display_prefix").HasMaxLength(16);
            e.Property(k => k.SecretHash).HasColumnName("secret_hash").HasMaxLength(64);
            e.Property(k => k.RequestsPerMinute).HasColumnName("requests_per_minute");
            e.Property(k => k.CreatedAt).HasColumnName("created_at");
            e.Property(k => k.RevokedAt).HasColumnName("revoked_at");
            e.Property(k => k.MonthlyBudget).HasColumnName("monthly_budget");
            e.HasIndex(k => k.SecretHash).IsUnique();
            e.HasOne(k => k.Tenant).WithMany(t => t.ApiKeys).HasForeignKey(k => k.TenantId);
        });
        modelBuilder.Entity<ModelRegistration>(e =>
        {
            e.ToTable("models");
            e.HasKey(m => m.Id);
            e.Property(m => m.Id).HasColumnName("id").HasMaxLength(128);
            e.Property(m => m.Path).HasColumnName("path");
            e.Property(m => m.OwnedBy).HasColumnName("owned_by").HasMaxLength(64);
            e.Property(m => m.Enabled).HasColumnName("enabled");
            e.Property(m => m.CreatedAt).HasColumnName("created_at");
        });
        modelBuilder.Entity<FineTune>(e =>
        {
            e.ToTable("fine_tunes");
            e.HasKey(f => new { f.Id, f.Version });
            e.Property(f => f.Id).HasColumnName("id").HasMaxLength(400);
            e.Property(f => f.Version).HasColumnName("version");
            e.Property(f => f.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(f => f.Name).HasColumnName("name").HasMaxLength(Maas.Infrastructure.FineTunes.FineTuneName.MaxNameLength);
            e.Property(f => f.BaseModel).HasColumnName("base_model").HasMaxLength(256);
            e.Property(f => f.ArtifactPath).HasColumnName("artifact_path");
            e.Property(f => f.Digest).HasColumnName("digest").HasMaxLength(80);
            e.Property(f => f.WeightBytes).HasColumnName("weight_bytes");
            e.Property(f => f.ExpertCount).HasColumnName("expert_count");
            e.Property(f => f.CreatedAt).HasColumnName("created_at");
            e.Property(f => f.DeletedAt).HasColumnName("deleted_at");
            e.HasIndex(f => new { f.TenantId, f.Name });
            e.HasOne<Tenant>().WithMany().HasForeignKey(f => f.TenantId);
        });
        MaasBillingModel.Configure(modelBuilder);
        MaasPlantModel.Configure(modelBuilder);
        MaasAdministrationModel.Configure(modelBuilder);
    }
}
