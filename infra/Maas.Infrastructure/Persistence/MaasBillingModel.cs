using Microsoft.EntityFrameworkCore;

namespace Maas.Infrastructure.Persistence;

/// <summary>
/// The metering and billing tables (price_book, usage_events, usage_hourly, invoices, invoice_lines). usage_events is
/// partitioned by month and the invoices carry immutability triggers: both are raw SQL in the migration
/// (<c>Migrations/*_Metering.cs</c>), which EF Core cannot express; the model here matches their columns.
/// </summary>
internal static class MaasBillingModel
{
    public static void Configure(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ModelPrice>(e =>
        {
            e.ToTable("price_book");
            e.HasKey(p => p.Id);
            e.Property(p => p.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(p => p.Model).HasColumnName("model").HasMaxLength(128);
            e.Property(p => p.FineTune).HasColumnName("fine_tune").HasMaxLength(128);
            e.Property(p => p.EffectiveFrom).HasColumnName("effective_from");
            e.Property(p => p.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            e.Property(p => p.InputCacheMissPerMillion).HasColumnName("input_cache_miss_per_million").HasColumnType("numeric");
            e.Property(p => p.InputCacheHitPerMillion).HasColumnName("input_cache_hit_per_million").HasColumnType("numeric");
            e.Property(p => p.OutputPerMillion).HasColumnName("output_per_million").HasColumnType("numeric");
            e.Property(p => p.BatchDiscount).HasColumnName("batch_discount").HasColumnType("numeric");
            e.Property(p => p.CreatedAt).HasColumnName("created_at");
            e.HasIndex(p => new { p.Model, p.FineTune, p.EffectiveFrom }).IsUnique().AreNullsDistinct(false);
            e.ToTable(t =>
            {
                t.HasCheckConstraint("ck_price_book_non_negative", "input_cache_miss_per_million >= 0 AND input_cache_hit_per_million >= 0 AND output_per_million >= 0");
                t.HasCheckConstraint("ck_price_book_batch_discount", "batch_discount >= 0 AND batch_discount <= 1");
            });
        });

        modelBuilder.Entity<UsageEvent>(e =>
        {
            e.ToTable("usage_events");
            e.HasKey(u => new { u.RequestId, u.ReceivedAt });
            e.Property(u => u.RequestId).HasColumnName("request_id");
            e.Property(u => u.ReceivedAt).HasColumnName("received_at");
            e.Property(u => u.TenantId).HasColumnName("tenant_id");
            e.Property(u => u.KeyId).HasColumnName("key_id");
            e.Property(u => u.Model).HasColumnName("model");
            e.Property(u => u.WeightsDigest).HasColumnName("weights_digest");
            e.Property(u => u.FineTune).HasColumnName("fine_tune");
            e.Property(u => u.FineTuneVersion).HasColumnName("fine_tune_version");
            e.Property(u => u.Source).HasColumnName("source");
            e.Property(u => u.Endpoint).HasColumnName("endpoint");
            e.Property(u => u.PromptTokens).HasColumnName("prompt_tokens");
            e.Property(u => u.CachedPromptTokens).HasColumnName("cached_prompt_tokens");
            e.Property(u => u.CompletionTokens).HasColumnName("completion_tokens");
            e.Property(u => u.FirstTokenAt).HasColumnName("first_token_at");
            e.Property(u => u.FinishedAt).HasColumnName("finished_at");
            e.Property(u => u.FinishReason).HasColumnName("finish_reason");
            e.Property(u => u.PriceId).HasColumnName("price_id");
            e.Property(u => u.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            e.Property(u => u.InputCacheMissCost).HasColumnName("input_cache_miss_cost").HasColumnType("numeric");
            e.Property(u => u.InputCacheHitCost).HasColumnName("input_cache_hit_cost").HasColumnType("numeric");
            e.Property(u => u.OutputCost).HasColumnName("output_cost").HasColumnType("numeric");
            e.Property(u => u.Cost).HasColumnName("cost").HasColumnType("numeric");
            e.Property(u => u.RecordedAt).HasColumnName("recorded_at").HasDefaultValueSql("now()");
            // BRIN: rows arrive in time order, so a block-range index serves time scans for almost no write cost (a B-tree doubled the insert time).
            e.HasIndex(u => u.ReceivedAt).HasMethod("brin");
        });

        modelBuilder.Entity<UsageHourly>(e =>
        {
            e.ToTable("usage_hourly");
            e.HasKey(u => new { u.TenantId, u.Hour, u.KeyId, u.Model, u.FineTune });
            e.Property(u => u.TenantId).HasColumnName("tenant_id");
            e.Property(u => u.KeyId).HasColumnName("key_id");
            e.Property(u => u.Model).HasColumnName("model");
            e.Property(u => u.FineTune).HasColumnName("fine_tune");
            e.Property(u => u.Hour).HasColumnName("hour");
            e.Property(u => u.Requests).HasColumnName("requests");
            e.Property(u => u.PromptTokens).HasColumnName("prompt_tokens");
            e.Property(u => u.CachedPromptTokens).HasColumnName("cached_prompt_tokens");
            e.Property(u => u.CompletionTokens).HasColumnName("completion_tokens");
            e.Property(u => u.InputCacheMissCost).HasColumnName("input_cache_miss_cost").HasColumnType("numeric");
            e.Property(u => u.InputCacheHitCost).HasColumnName("input_cache_hit_cost").HasColumnType("numeric");
            e.Property(u => u.OutputCost).HasColumnName("output_cost").HasColumnType("numeric");
            e.Property(u => u.Cost).HasColumnName("cost").HasColumnType("numeric");
            e.Property(u => u.UnpricedRequests).HasColumnName("unpriced_requests");
        });

        modelBuilder.Entity<Invoice>(e =>
        {
            e.ToTable("invoices");
            e.HasKey(i => i.Id);
            e.Property(i => i.Id).HasColumnName("id").HasMaxLength(100);
            e.Property(i => i.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
            e.Property(i => i.PeriodStart).HasColumnName("period_start");
            e.Property(i => i.PeriodEnd).HasColumnName("period_end");
            e.Property(i => i.Currency).HasColumnName("currency").HasMaxLength(3).IsFixedLength();
            e.Property(i => i.Status).HasColumnName("status").HasMaxLength(16);
            e.Property(i => i.Total).HasColumnName("total").HasColumnType("numeric");
            e.Property(i => i.GeneratedAt).HasColumnName("generated_at");
            e.Property(i => i.FinalizedAt).HasColumnName("finalized_at");
            e.HasIndex(i => new { i.TenantId, i.PeriodStart }).IsUnique();
            e.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(i => i.Lines).WithOne().HasForeignKey(l => l.InvoiceId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<InvoiceLine>(e =>
        {
            e.ToTable("invoice_lines");
            e.HasKey(l => new { l.InvoiceId, l.LineNumber });
            e.Property(l => l.InvoiceId).HasColumnName("invoice_id").HasMaxLength(100);
            e.Property(l => l.LineNumber).HasColumnName("line_number");
            e.Property(l => l.Model).HasColumnName("model");
            e.Property(l => l.FineTune).HasColumnName("fine_tune");
            e.Property(l => l.TokenClass).HasColumnName("token_class").HasMaxLength(32);
            e.Property(l => l.Tokens).HasColumnName("tokens");
            e.Property(l => l.AveragePricePerMillion).HasColumnName("average_price_per_million").HasColumnType("numeric");
            e.Property(l => l.Amount).HasColumnName("amount").HasColumnType("numeric");
        });
    }
}
