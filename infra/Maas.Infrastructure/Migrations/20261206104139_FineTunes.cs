using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Maas.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class FineTunes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "fine_tunes",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    base_model = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    artifact_path = table.Column<string>(type: "text", nullable: false),
                    digest = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    weight_bytes = table.Column<long>(type: "bigint", nullable: false),
                    expert_count = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fine_tunes", x => new { x.id, x.version });
                    table.ForeignKey(
                        name: "FK_fine_tunes_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_fine_tunes_tenant_id_name",
                table: "fine_tunes",
                columns: new[] { "tenant_id", "name" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "fine_tunes");
        }
    }
}
