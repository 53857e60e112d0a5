namespace Maas.Infrastructure.Migrations;

/// <summary>
/// The raw SQL of the Metering migration: what EF Core cannot declare. Frozen with that migration; later changes
/// to these objects belong in new migrations.
/// </summary>
internal static class MeteringSql
{
    /// <summary>The partitioned parent table; rows go to one partition per UTC month.</summary>
    public const string CreateUsageEvents = """
        CREATE TABLE usage_events (
            request_id text NOT NULL,
            received_at timestamp with time zone NOT NULL,
            tenant_id text NOT NULL,
            key_id text NOT NULL,
            model text NOT NULL,
            weights_digest text NULL,
            fine_tune text NULL,
            fine_tune_version integer NULL,
            source text NOT NULL,
            endpoint text NOT NULL,
            prompt_tokens integer NOT NULL,
            cached_prompt_tokens integer NOT NULL,
            completion_tokens integer NOT NULL,
            first_token_at timestamp with time zone NULL,
            finished_at timestamp with time zone NOT NULL,
            finish_reason text NOT NULL,
            price_id bigint NULL,
            currency character(3) NULL,
            input_cache_miss_cost numeric NULL,
            input_cache_hit_cost numeric NULL,
            output_cost numeric NULL,
            cost numeric NULL,
            recorded_at timestamp with time zone NOT NULL DEFAULT now(),
            CONSTRAINT "PK_usage_events" PRIMARY KEY (request_id, received_at)
        ) PARTITION BY RANGE (received_at);
        CREATE INDEX "IX_usage_events_received_at" ON usage_events USING brin (received_at);
        """;

    /// <summary>
    /// maas_usage_partition(t): creates the partition of t's UTC month if missing and returns its name
    /// (usage_events_pYYYYMM). Safe to call concurrently (an advisory lock serialises creators). The api calls it
    /// for the coming months, and the writer on a row that found no partition.
    /// maas_drop_usage_partitions(before): drops the partitions that end at or before <c>before</c> (retention).
    /// Month arithmetic is done on UTC wall-clock timestamps, so the session's time zone never moves a boundary.
    /// The current and next month's partitions are created here, so a fresh database takes records at once.
    /// </summary>
    public const string CreatePartitionFunctions = """
        CREATE FUNCTION maas_usage_partition(at timestamp with time zone) RETURNS text
        LANGUAGE plpgsql AS $$
        DECLARE
            month_start timestamp := date_trunc('month', at AT TIME ZONE 'UTC');
            partition_name text := 'usage_events_p' || to_char(month_start, 'YYYYMM');
        BEGIN
            IF to_regclass(partition_name) IS NULL THEN
                -- Serialise creators; then look again with a fresh snapshot (pg_class, not the cached to_regclass),
                -- so a partition another session just created is seen.
                PERFORM pg_advisory_xact_lock(hashtext('maas_usage_partition'));
                IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE c.relname = partition_name AND n.nspname = current_schema()) THEN
                    BEGIN
                        EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)',
                            partition_name, month_start AT TIME ZONE 'UTC', (month_start + interval '1 month') AT TIME ZONE 'UTC');
                    EXCEPTION WHEN duplicate_table OR unique_violation THEN
                        NULL;
                    END;
                END IF;
            END IF;
            RETURN partition_name;
        END $$;

        CREATE FUNCTION maas_drop_usage_partitions(before timestamp with time zone) RETURNS SETOF text
        LANGUAGE plpgsql AS $$
        DECLARE
            p record;
        BEGIN
            -- The same lock as maas_usage_partition: one session at a time creates or drops partitions.
            PERFORM pg_advisory_xact_lock(hashtext('maas_usage_partition'));
            FOR p IN
                SELECT c.relname
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_p[0-9]{6}$'
                ORDER BY c.relname
            LOOP
                IF ((to_date(substr(p.relname, 15), 'YYYYMM') + interval '1 month') AT TIME ZONE 'UTC') <= before THEN
                    EXECUTE format('DROP TABLE IF EXISTS %I', p.relname);
                    RETURN NEXT p.relname;
                END IF;
            END LOOP;
        END $$;

        SELECT maas_usage_partition(now());
        SELECT maas_usage_partition(now() + interval '1 month');
        """;

    /// <summary>A finalised invoice and its lines can be neither changed nor deleted (SQLSTATE 55000).</summary>
    public const string CreateInvoiceImmutability = """
        CREATE FUNCTION maas_invoices_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status = 'finalized' THEN
                RAISE EXCEPTION 'invoice % is finalized and cannot change', OLD.id USING ERRCODE = '55000';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END $$;

        CREATE FUNCTION maas_invoice_lines_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM invoices WHERE id = OLD.invoice_id AND status = 'finalized') THEN
                RAISE EXCEPTION 'invoice % is finalized and its lines cannot change', OLD.invoice_id USING ERRCODE = '55000';
            END IF;
            IF TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM invoices WHERE id = NEW.invoice_id AND status = 'finalized') THEN
                RAISE EXCEPTION 'invoice % is finalized and its lines cannot change', NEW.invoice_id USING ERRCODE = '55000';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END $$;

        CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
            FOR EACH ROW EXECUTE FUNCTION maas_invoices_immutable();
        CREATE TRIGGER invoice_lines_immutable BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines
            FOR EACH ROW EXECUTE FUNCTION maas_invoice_lines_immutable();
        """;

    public const string DropFunctions = """
        DROP FUNCTION IF EXISTS maas_invoice_lines_immutable() CASCADE;
        DROP FUNCTION IF EXISTS maas_invoices_immutable() CASCADE;
        DROP FUNCTION IF EXISTS maas_drop_usage_partitions(timestamp with time zone);
        DROP FUNCTION IF EXISTS maas_usage_partition(timestamp with time zone);
        """;
}
