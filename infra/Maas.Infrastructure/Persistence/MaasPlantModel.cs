using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Persistence;

/// <summary>
/// The tables of plant integrations: the Batch API (batch_files, batch_jobs, batch_lines) and the MQTT endpoint's
/// store-and-forward (plant_responses, plant_sessions, plant_deliveries). Every row carries its tenant.
/// </summary>
internal static class MaasPlantModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BatchFile>(e =>
        {
            e.ToTable("batch_files");
            e.HasKey(f => f.Id);
            e.Property(f => f.Id).HasColumnName("id").HasMaxLength(64);
            e.Property(f => f.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(f => f.Purpose).HasColumnName("purpose").HasMaxLength(32);
            e.Property(f => f.Filename).HasColumnName("filename").HasMaxLength(256);
            e.Property(f => f.Bytes).HasColumnName("bytes");
            e.Property(f => f.Content).HasColumnName("content");
            e.Property(f => f.CreatedAt).HasColumnName("created_at");
            e.HasIndex(f => new { f.TenantId, f.CreatedAt });
        });
        modelBuilder.Entity<BatchJob>(e =>
        {
            e.ToTable("batch_jobs");
            e.HasKey(b => b.Id);
            e.Property(b => b.Id).HasColumnName("id").HasMaxLength(64);
            e.Property(b => b.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(b => b.KeyId).HasColumnName("key_id").HasMaxLength(64);
            e.Property(b => b.Endpoint).HasColumnName("endpoint").HasMaxLength(64);
            e.Property(b => b.InputFileId).HasColumnName("input_file_id").HasMaxLength(64);
            e.Property(b => b.CompletionWindow).HasColumnName("completion_window").HasMaxLength(16);
            e.Property(b => b.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(b => b.OutputFileId).HasColumnName("output_file_id").HasMaxLength(64);
            e.Property(b => b.ErrorFileId).HasColumnName("error_file_id").HasMaxLength(64);
            e.Property(b => b.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
            e.Property(b => b.Errors).HasColumnName("errors").HasColumnType("jsonb");
            e.Property(b => b.WebhookUrl).HasColumnName("webhook_url");
            e.Property(b => b.WebhookSecret).HasColumnName("webhook_secret");
            e.Property(b => b.Total).HasColumnName("total");
            e.Property(b => b.Completed).HasColumnName("completed");
            e.Property(b => b.Failed).HasColumnName("failed");
            e.Property(b => b.CreatedAt).HasColumnName("created_at");
            e.Property(b => b.ExpiresAt).HasColumnName("expires_at");
            e.Property(b => b.InProgressAt).HasColumnName("in_progress_at");
            e.Property(b => b.FinalizingAt).HasColumnName("finalizing_at");
            e.Property(b => b.CompletedAt).HasColumnName("completed_at");
            e.Property(b => b.FailedAt).HasColumnName("failed_at");
            e.Property(b => b.ExpiredAt).HasColumnName("expired_at");
            e.Property(b => b.CancellingAt).HasColumnName("cancelling_at");
            e.Property(b => b.CancelledAt).HasColumnName("cancelled_at");
            e.HasIndex(b => new { b.TenantId, b.CreatedAt });
            e.HasIndex(b => b.Status);
        });
        modelBuilder.Entity<BatchLine>(e =>
        {
            e.ToTable("batch_lines");
            e.HasKey(l => new { l.BatchId, l.LineIndex });
            e.Property(l => l.BatchId).HasColumnName("batch_id").HasMaxLength(64);
            e.Property(l => l.LineIndex).HasColumnName("line_index");
            e.Property(l => l.CustomId).HasColumnName("custom_id");
            e.Property(l => l.Body).HasColumnName("body");
            e.Property(l => l.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(l => l.Result).HasColumnName("result");
            e.Property(l => l.ReceivedAt).HasColumnName("received_at");
            e.Property(l => l.FinishedAt).HasColumnName("finished_at");
            e.HasOne<BatchJob>().WithMany().HasForeignKey(l => l.BatchId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<PlantResponse>(e =>
        {
            e.ToTable("plant_responses");
            e.HasKey(r => new { r.TenantId, r.RequestId });
            e.Property(r => r.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(r => r.RequestId).HasColumnName("request_id").HasMaxLength(128);
            e.Property(r => r.KeyId).HasColumnName("key_id").HasMaxLength(64);
            e.Property(r => r.Kind).HasColumnName("kind").HasMaxLength(16);
            e.Property(r => r.RequestBody).HasColumnName("request_body");
            e.Property(r => r.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(r => r.Messages).HasColumnName("messages");
            e.Property(r => r.Response).HasColumnName("response");
            e.Property(r => r.CreatedAt).HasColumnName("created_at");
            e.Property(r => r.CompletedAt).HasColumnName("completed_at");
            e.HasIndex(r => r.CreatedAt);
        });
        modelBuilder.Entity<PlantSession>(e =>
        {
            e.ToTable("plant_sessions");
            e.HasKey(s => s.ClientId);
            e.Property(s => s.ClientId).HasColumnName("client_id").HasMaxLength(256);
            e.Property(s => s.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(s => s.Filters).HasColumnName("filters");
            e.Property(s => s.UpdatedAt).HasColumnName("updated_at");
        });
        modelBuilder.Entity<PlantDelivery>(e =>
        {
            e.ToTable("plant_deliveries");
            e.HasKey(d => new { d.ClientId, d.TenantId, d.RequestId });
            e.Property(d => d.ClientId).HasColumnName("client_id").HasMaxLength(256);
            e.Property(d => d.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(d => d.RequestId).HasColumnName("request_id").HasMaxLength(128);
            e.Property(d => d.CreatedAt).HasColumnName("created_at");
            e.Property(d => d.DeliveredAt).HasColumnName("delivered_at");
            e.Property(d => d.QueuedBy).HasColumnName("queued_by");
            e.HasIndex(d => d.CreatedAt);
        });
    }
}
