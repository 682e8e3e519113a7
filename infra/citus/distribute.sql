-- infra/citus/distribute.sql — turn a migrated Ledgerline database into a Citus 12 cluster, once.
--
-- Run on the COORDINATOR, as a superuser, in a maintenance window, with psql and nothing else
-- connected (servers scaled to 0, the migration Job finished):
--
--     psql -v ON_ERROR_STOP=1 -d ledgerline -f infra/citus/distribute.sql
--
-- It is not a migration: MigrationRunner never runs it and schema_migrations does not record it.
-- It is not resumable either: if a step fails, restore the backup taken before (README.md beside
-- this file) and start again. Read README.md first; it lists the application changes that must
-- be in the running build before production traffic reaches a distributed database.
--
-- ORDER
--   0. preflight: Citus 12+ installed and workers added, nothing distributed yet, every table of
--      schema public classified below (a table added by a later migration stops the script), the
--      trigger guard (P2 in README.md);
--   1. cluster-wide settings the application needs (SET LOCAL propagation, triggers on shards);
--   2. foreign keys: the four Citus cannot keep are dropped for good; every other one is saved in
--      citus_migration.foreign_keys and dropped, so tables can be distributed in any order;
--   3. functions that run on the workers (the RLS policy function, row trigger functions) are
--      propagated before any shard exists;
--   4. reference tables (small, global, replicated to every node);
--   5. practices (the colocation anchor), then every tenant table colocated with it;
--   6. the saved foreign keys are added back (all of them now join colocated tables on
--      practice_id, or point at a reference table);
--   7. postflight: every RLS-protected (tenant) table is distributed by practice_id.
--
-- CONSTRAINTS CITUS IMPOSES, AND WHERE THIS SCHEMA STANDS
--   * Primary keys and unique constraints/indexes of a distributed table must include the
--     distribution column. Every tenant table's primary key leads with practice_id and every
--     unique constraint or unique index includes it (members_email_unique is
--     (practice_id, lower(email)); the partial unique indexes bill_sessions_live and
--     claim_sessions_live lead with practice_id). Global uniqueness (identities.email,
--     payers.clearinghouse_payer_id, credential_index.secret_hash, ...) lives only in reference
--     or coordinator-local tables.
--   * Foreign keys between distributed tables must be colocated and include the distribution
--     column: every tenant-to-tenant key here is (practice_id, ...). Distributed -> reference is
--     allowed (enrollments, policies, claims -> payers). Reference -> distributed and
--     local -> distributed are NOT allowed: credential_index, file_index, webhook_endpoints and
--     jobs lose their practice_id -> practices keys (step 2); the rows are written only by
--     SECURITY DEFINER functions, triggers and the job queue, which always copy an existing
--     practice_id.
--   * Row-level security: policies are propagated to the shards, but they are evaluated on the
--     workers, where a set_config() made on the coordinator is not visible. The tenant must be set
--     with SET LOCAL app.practice_id and citus.propagate_set_commands = 'local' (step 1; the
--     application change is P1 in README.md). A policy that is not a plain equality on
--     practice_id does not prune shards, so queries must also say "where practice_id = $1".
--   * Triggers on distributed tables need citus.enable_unsafe_triggers. The immutability triggers
--     (ll_immutable_row, ll_audit_append_only) touch only their own row and are safe on shards. The
--     index triggers (api_keys_index, user_sessions_index, invitations_index, files_index) write
--     into global tables from a shard; that is the "unsafe" kind and must be moved into the
--     application or a coordinator-run function first (P2). Step 0 refuses to run while they exist
--     unless ledgerline.citus_allow_index_triggers = on (trial clusters only).
--   * SECURITY DEFINER functions that read across practices (ll_identity_memberships,
--     ll_identity_revoke_sessions) or read a global index and then one practice (ll_authenticate,
--     ll_authenticate_session, ll_invitation, ll_file_by_token, ll_webhook_endpoint) stay ordinary
--     functions executed on the coordinator: never give them a distribution argument with
--     create_distributed_function (delegation would run them on a worker). The ones that call
--     set_config('app.practice_id', ...) must be rewritten (P1): they return the practice and the
--     application issues SET LOCAL.
--   * SELECT ... FOR UPDATE SKIP LOCKED across practices (the job queue claim) works only on a
--     single shard: jobs stays a plain table on the coordinator.
--   * DDL runs on the coordinator only. A later migration that creates a tenant table must also
--     distribute it (P4); step 0 of this script would otherwise stop on the unclassified table.

\set ON_ERROR_STOP on
\timing on

-- 0. Preflight ------------------------------------------------------------------------------
do $$
declare
    distributed text[] := array[
        'practices',
        'members',
        'api_keys',
        'audit_log',
        'practice_settings',
        'service_locations',
        'services',
        'enrollments',
        'clients',
        'client_clinicians',
        'contacts',
        'contact_links',
        'policies',
        'sessions',
        'session_lines',
        'notes',
        'bill_counters',
        'bills',
        'bill_lines',
        'bill_sessions',
        'payments',
        'allocations',
        'adjustments',
        'refunds',
        'idempotency_keys',
        'files',
        'superbills',
        'integrations',
        'notifications',
        'notification_attempts',
        'payment_methods',
        'card_charges',
        'claim_counters',
        'claim_batches',
        'claims',
        'claim_sessions',
        'claim_events',
        'clearinghouse_cursors',
        'practice_alerts',
        'remittances',
        'remittance_claims',
        'insurance_payments',
        'responsibility_transfers',
        'automation_runs',
        'autopay_state',
        'webhook_events',
        'invitations',
        'user_sessions'];
    reference text[] := array['payers', 'identities', 'password_resets', 'credential_index', 'file_index',
                              'webhook_endpoints'];
    coordinator_local text[] := array['jobs', 'sign_in_failures', 'schema_migrations'];
    citus_version text;
    unknown text;
    index_triggers text;
begin
    if not (select rolsuper from pg_roles where rolname = current_user) then
        raise exception 'run distribute.sql as a superuser (it creates distributed tables owned by ledgerline_owner)';
    end if;
    select extversion into citus_version from pg_extension where extname = 'citus';
    if citus_version is null then
        raise exception 'the citus extension is not installed in database %: see infra/citus/README.md', current_database();
    end if;
    if split_part(citus_version, '.', 1)::int < 12 then
        raise exception 'Citus 12 or newer is required (found %)', citus_version;
    end if;
    if (select count(*) from pg_dist_node where noderole = 'primary' and groupid <> 0) = 0 then
        raise exception 'no worker nodes: add them with citus_add_node() first';
    end if;
    if exists (select 1 from pg_dist_partition) then
        raise exception 'some tables are already Citus tables: this script runs once, on a plain migrated database';
    end if;
    if to_regclass('public.schema_migrations') is null then
        raise exception 'schema_migrations is missing: run `ledgerline migrate` against this database first';
    end if;
    select string_agg(c.relname, ', ' order by c.relname) into unknown
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
      and not (c.relname = any (distributed || reference || coordinator_local));
    if unknown is not null then
        raise exception 'tables not classified in distribute.sql (a newer migration?): %', unknown;
    end if;
    select string_agg(t.tgname || ' on ' || t.tgrelid::regclass::text, ', ' order by t.tgname) into index_triggers
    from pg_trigger t
    where not t.tgisinternal
      and t.tgname in ('api_keys_index', 'user_sessions_index', 'invitations_index', 'files_index');
    if index_triggers is not null
       and coalesce(current_setting('ledgerline.citus_allow_index_triggers', true), '') <> 'on' then
        raise exception 'index triggers still write global tables from shards: % (README.md, P2); for a trial '
                        'cluster only, SET ledgerline.citus_allow_index_triggers = on before running', index_triggers;
    end if;
end
$$;

-- 1. Settings -------------------------------------------------------------------------------
-- Tenant context: SET LOCAL app.practice_id reaches the workers' connections (P1).
-- Triggers on shards: the immutability triggers must keep firing on distributed tables.
-- Both are set for the database so every role (ledgerline_app, ledgerline_owner) gets them.
select format('alter database %I set citus.propagate_set_commands = %L', current_database(), 'local')
\gexec
select format('alter database %I set citus.enable_unsafe_triggers = on', current_database())
\gexec
set citus.enable_unsafe_triggers = on;
set citus.shard_count = 32;  -- 32 shard groups: room for up to ~32 workers before a split is needed

-- 2. Foreign keys ---------------------------------------------------------------------------
-- Dropped for good: global tables pointing at the distributed practices table.
alter table credential_index drop constraint credential_index_practice_id_fkey;
alter table file_index drop constraint file_index_practice_id_fkey;
alter table webhook_endpoints drop constraint webhook_endpoints_practice_id_fkey;
alter table jobs drop constraint jobs_practice_id_fkey;

-- Saved, dropped, and added back in step 6.
create schema citus_migration;
create table citus_migration.foreign_keys as
select c.conrelid::regclass::text as table_name, c.conname as constraint_name,
       pg_get_constraintdef(c.oid) as definition
from pg_constraint c join pg_namespace n on n.oid = c.connamespace
where c.contype = 'f' and n.nspname = 'public';

-- One statement each (psql's \gexec), so a failure names the constraint.
select format('alter table %s drop constraint %I', table_name, constraint_name)
from citus_migration.foreign_keys order by table_name, constraint_name
\gexec

-- 3. Functions evaluated on the workers (no distribution argument: propagated, not delegated).
select create_distributed_function('ll_current_practice()');
select create_distributed_function('ll_immutable_row()');
select create_distributed_function('ll_audit_append_only()');
-- Present only while the index triggers exist (trial clusters, see step 0 and P2).
select create_distributed_function(p.oid::regprocedure::text)
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public' and p.proname in ('ll_index_api_key', 'll_index_credential', 'll_index_file')
  and exists (select 1 from pg_trigger t where t.tgfoid = p.oid);

-- 4. Reference tables: global, small, read by hash or id, replicated to every node (writes are
--    two-phase commits to all nodes, so only tables written a few times per sign-in or per file).
select create_reference_table('payers');             -- payer catalog; tenant tables reference it
select create_reference_table('identities');         -- one per staff email; joined by ll_identity_revoke_sessions
select create_reference_table('password_resets');    -- references identities
select create_reference_table('credential_index');   -- token hash -> practice, every authenticated request
select create_reference_table('file_index');         -- file token hash -> practice, /files/{token}
select create_reference_table('webhook_endpoints');  -- public endpoint id -> practice and plugin

-- Stay plain tables on the coordinator (not Citus tables):
-- local: jobs               the queue is claimed across practices with FOR UPDATE SKIP LOCKED (single
--                           shard only in Citus) and rewritten on every lease renewal; a reference
--                           table would turn each of those writes into a commit on every node
-- local: sign_in_failures   per source address, inserted and pruned on every failed sign-in, read
--                           only by ll_sign_in_failure(s) on the coordinator; no practice_id
-- local: schema_migrations  MigrationRunner's bookkeeping and /health/ready's check; no practice_id

-- 5. Tenant tables: practices first, the colocation anchor, then every table with practice_id
--    and a tenant_isolation policy, colocated with it (same shard for the same practice).
select create_distributed_table('practices', 'practice_id', colocate_with => 'none');
select create_distributed_table('members', 'practice_id', colocate_with => 'practices');
select create_distributed_table('api_keys', 'practice_id', colocate_with => 'practices');
select create_distributed_table('audit_log', 'practice_id', colocate_with => 'practices');
select create_distributed_table('practice_settings', 'practice_id', colocate_with => 'practices');
select create_distributed_table('service_locations', 'practice_id', colocate_with => 'practices');
select create_distributed_table('services', 'practice_id', colocate_with => 'practices');
select create_distributed_table('enrollments', 'practice_id', colocate_with => 'practices');
select create_distributed_table('clients', 'practice_id', colocate_with => 'practices');
select create_distributed_table('client_clinicians', 'practice_id', colocate_with => 'practices');
select create_distributed_table('contacts', 'practice_id', colocate_with => 'practices');
select create_distributed_table('contact_links', 'practice_id', colocate_with => 'practices');
select create_distributed_table('policies', 'practice_id', colocate_with => 'practices');
select create_distributed_table('sessions', 'practice_id', colocate_with => 'practices');
select create_distributed_table('session_lines', 'practice_id', colocate_with => 'practices');
select create_distributed_table('notes', 'practice_id', colocate_with => 'practices');
select create_distributed_table('bill_counters', 'practice_id', colocate_with => 'practices');
select create_distributed_table('bills', 'practice_id', colocate_with => 'practices');
select create_distributed_table('bill_lines', 'practice_id', colocate_with => 'practices');
select create_distributed_table('bill_sessions', 'practice_id', colocate_with => 'practices');
select create_distributed_table('payments', 'practice_id', colocate_with => 'practices');
select create_distributed_table('allocations', 'practice_id', colocate_with => 'practices');
select create_distributed_table('adjustments', 'practice_id', colocate_with => 'practices');
select create_distributed_table('refunds', 'practice_id', colocate_with => 'practices');
select create_distributed_table('idempotency_keys', 'practice_id', colocate_with => 'practices');
select create_distributed_table('files', 'practice_id', colocate_with => 'practices');
select create_distributed_table('superbills', 'practice_id', colocate_with => 'practices');
select create_distributed_table('integrations', 'practice_id', colocate_with => 'practices');
select create_distributed_table('notifications', 'practice_id', colocate_with => 'practices');
select create_distributed_table('notification_attempts', 'practice_id', colocate_with => 'practices');
select create_distributed_table('payment_methods', 'practice_id', colocate_with => 'practices');
select create_distributed_table('card_charges', 'practice_id', colocate_with => 'practices');
select create_distributed_table('claim_counters', 'practice_id', colocate_with => 'practices');
select create_distributed_table('claim_batches', 'practice_id', colocate_with => 'practices');
select create_distributed_table('claims', 'practice_id', colocate_with => 'practices');
select create_distributed_table('claim_sessions', 'practice_id', colocate_with => 'practices');
select create_distributed_table('claim_events', 'practice_id', colocate_with => 'practices');
select create_distributed_table('clearinghouse_cursors', 'practice_id', colocate_with => 'practices');
select create_distributed_table('practice_alerts', 'practice_id', colocate_with => 'practices');
select create_distributed_table('remittances', 'practice_id', colocate_with => 'practices');
select create_distributed_table('remittance_claims', 'practice_id', colocate_with => 'practices');
select create_distributed_table('insurance_payments', 'practice_id', colocate_with => 'practices');
select create_distributed_table('responsibility_transfers', 'practice_id', colocate_with => 'practices');
select create_distributed_table('automation_runs', 'practice_id', colocate_with => 'practices');
select create_distributed_table('autopay_state', 'practice_id', colocate_with => 'practices');
select create_distributed_table('webhook_events', 'practice_id', colocate_with => 'practices');
select create_distributed_table('invitations', 'practice_id', colocate_with => 'practices');
select create_distributed_table('user_sessions', 'practice_id', colocate_with => 'practices');

-- 6. Foreign keys back ----------------------------------------------------------------------
-- One statement (and transaction) each: Citus validates every key shard by shard.
select format('alter table %s add constraint %I %s', table_name, constraint_name, definition)
from citus_migration.foreign_keys order by table_name, constraint_name
\gexec

-- 7. Postflight -----------------------------------------------------------------------------
do $$
declare
    missing text;
begin
    select string_agg(c.relname, ', ' order by c.relname) into missing
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and c.relrowsecurity
      and not exists (select 1 from pg_dist_partition p
                      where p.logicalrelid = c.oid and p.partmethod = 'h'
                        and column_to_column_name(p.logicalrelid, p.partkey) = 'practice_id');
    if missing is not null then
        raise exception 'RLS tables not distributed by practice_id: %', missing;
    end if;
end
$$;

drop schema citus_migration cascade;

-- What Citus now knows (the table type, distribution column, colocation group and size of each).
select table_name, citus_table_type, distribution_column, colocation_id, table_size
from citus_tables order by citus_table_type, table_name;
