namespace Maas.Infrastructure.Migrations;

/// <summary>
/// The raw SQL of the Administration migration: the audit log is append-only, which EF Core cannot declare. Frozen with
/// that migration; later changes belong in new migrations.
/// </summary>
internal static class AdministrationSql
{
    public const string CreateAuditImmutability = """
        CREATE FUNCTION maas_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
        END;
        $$;
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION maas_audit_log_append_only();
        """;

    public const string DropAuditImmutability = """
        DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
        DROP FUNCTION IF EXISTS maas_audit_log_append_only();
        """;
}
