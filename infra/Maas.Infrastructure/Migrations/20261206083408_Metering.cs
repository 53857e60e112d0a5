using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Maas.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class Metering : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "monthly_budget",
                table: "tenants",
                type: "numeric",
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "monthly_budget",
                table: "api_keys",
                type: "numeric",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "invoices",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    period_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    period_end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    total = table.Column<decimal>(type: "numeric", nullable: false),
                    generated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finalized_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoices", x => x.id);
                    table.ForeignKey(
                        name: "FK_invoices_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "price_book",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    model = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    fine_tune = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    currency = table.Column<string>(type: "character(3)", fixedLength: true, maxLength: 3, nullable: false),
                    input_cache_miss_per_million = table.Column<decimal>(type: "numeric", nullable: false),
                    input_cache_hit_per_million = table.Column<decimal>(type: "numeric", nullable: false),
                    output_per_million = table.Column<decimal>(type: "numeric", nullable: false),
                    batch_discount = table.Column<decimal>(type: "numeric", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_price_book", x => x.id);
                    table.CheckConstraint("ck_price_book_batch_discount", "batch_discount >= 0 AND batch_discount <= 1");
                    table.CheckConstraint("ck_price_book_non_negative", "input_cache_miss_per_million >= 0 AND input_cache_hit_per_million >= 0 AND output_per_million >= 0");
                });

            // usage_events is partitioned by month of received_at (declarative partitioning), which EF Core cannot
            // declare: the table is created here by hand, with the columns and indexes the model maps. Monthly
            // partitions let retention drop a month in one statement instead of deleting rows, and keep each month's
            // index small. PostgreSQL requires the partition key in every unique constraint, hence (request_id,
            // received_at) as the primary key; see UsageEvent for why that is the same idempotency as request_id alone.
            migrationBuilder.Sql(MeteringSql.CreateUsageEvents);
            migrationBuilder.Sql(MeteringSql.CreatePartitionFunctions);

            migrationBuilder.CreateTable(
                name: "usage_hourly",
                columns: table => new
                {
                    tenant_id = table.Column<string>(type: "text", nullable: false),
                    key_id = table.Column<string>(type: "text", nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    fine_tune = table.Column<string>(type: "text", nullable: false),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cached_prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    completion_tokens = table.Column<long>(type: "bigint", nullable: false),
                    input_cache_miss_cost = table.Column<decimal>(type: "numeric", nullable: false),
                    input_cache_hit_cost = table.Column<decimal>(type: "numeric", nullable: false),
                    output_cost = table.Column<decimal>(type: "numeric", nullable: false),
                    cost = table.Column<decimal>(type: "numeric", nullable: false),
                    unpriced_requests = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_usage_hourly", x => new { x.tenant_id, x.hour, x.key_id, x.model, x.fine_tune });
                });

            migrationBuilder.CreateTable(
                name: "invoice_lines",
                columns: table => new
                {
                    invoice_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    line_number = table.Column<int>(type: "integer", nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    fine_tune = table.Column<string>(type: "text", nullable: false),
                    token_class = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    tokens = table.Column<long>(type: "bigint", nullable: false),
                    average_price_per_million = table.Column<decimal>(type: "numeric", nullable: false),
                    amount = table.Column<decimal>(type: "numeric", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_invoice_lines", x => new { x.invoice_id, x.line_number });
                    table.ForeignKey(
                        name: "FK_invoice_lines_invoices_invoice_id",
                        column: x => x.invoice_id,
                        principalTable: "invoices",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_invoices_tenant_id_period_start",
                table: "invoices",
                columns: new[] { "tenant_id", "period_start" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_price_book_model_fine_tune_effective_from",
                table: "price_book",
                columns: new[] { "model", "fine_tune", "effective_from" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            // Finalised invoices are immutable in the database itself, whatever tool touches them.
            migrationBuilder.Sql(MeteringSql.CreateInvoiceImmutability);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(MeteringSql.DropFunctions);

            migrationBuilder.DropTable(
                name: "invoice_lines");

            migrationBuilder.DropTable(
                name: "price_book");

            migrationBuilder.DropTable(
                name: "usage_events");

            migrationBuilder.DropTable(
                name: "usage_hourly");

            migrationBuilder.DropTable(
                name: "invoices");

            migrationBuilder.DropColumn(
                name: "monthly_budget",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "monthly_budget",
                table: "api_keys");
        }
    }
}
