-- Foundation: tenancy helpers, practices, members, API keys, the credential index, audit log, job queue.
-- Runs as the owner role. The application role `ledgerline_app` must exist (it owns nothing,
-- is not superuser and has no BYPASSRLS); every tenant table is ENABLEd and FORCEd under RLS.

-- The practice of the current transaction; raises when none is set so a forgotten tenant
-- fails loudly instead of seeing everything.
create function ll_current_practice() returns uuid
language plpgsql stable parallel safe as $$
declare
    setting text := current_setting('app.practice_id', true);
begin
    if setting is null or setting = '' then
        raise exception 'no practice is set for this transaction' using errcode = 'LL001';
    end if;
    return setting::uuid;
end
$$;

-- Adds the standard tenant policy to a table: ENABLE + FORCE RLS, one permissive policy with
-- USING and WITH CHECK on practice_id.
create function ll_enable_tenant_rls(table_name regclass) returns void
language plpgsql as $$
begin
    execute format('alter table %s enable row level security', table_name);
    execute format('alter table %s force row level security', table_name);
    execute format('create policy tenant_isolation on %s using (practice_id = (select ll_current_practice())) '
                   'with check (practice_id = (select ll_current_practice()))', table_name);
end
$$;

create table practices (
    practice_id uuid primary key,
    legal_name text not null,
    tax_id text not null,
    tax_id_type text not null check (tax_id_type in ('ein', 'ssn')),
    npi text not null,
    taxonomy_code text not null,
    billing_provider_type text not null check (billing_provider_type in ('individual', 'organization')),
    address jsonb not null check (jsonb_typeof(address) = 'object'),
    phone text not null,
    time_zone text not null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
select ll_enable_tenant_rls('practices');

create table members (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    first_name text not null,
    last_name text not null,
    email text not null,
    role text not null check (role in ('owner', 'biller', 'clinician', 'viewer')),
    npi text,
    taxonomy_code text,
    credentials text,
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id)
);
create unique index members_email_unique on members (practice_id, lower(email));
select ll_enable_tenant_rls('members');

create table api_keys (
    practice_id uuid not null,
    id uuid not null,
    member_id uuid not null,
    name text not null,
    secret_hash bytea not null,
    secret_prefix text not null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    primary key (practice_id, id),
    foreign key (practice_id, member_id) references members (practice_id, id)
);
create index api_keys_member on api_keys (practice_id, member_id);
select ll_enable_tenant_rls('api_keys');

-- Global: maps a credential hash to its practice so a request can find its tenant.
-- Holds no PHI; the application role cannot read it directly, only through ll_authenticate.
create table credential_index (
    secret_hash bytea primary key,
    practice_id uuid not null references practices (practice_id),
    credential_id uuid not null,
    kind text not null check (kind in ('apiKey', 'session'))
);

create function ll_index_api_key() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    insert into credential_index (secret_hash, practice_id, credential_id, kind)
    values (new.secret_hash, new.practice_id, new.id, 'apiKey');
    return new;
end
$$;
create trigger api_keys_index after insert on api_keys for each row execute function ll_index_api_key();

-- Looks up an API key by its hash, sets the transaction's practice from it, and returns the
-- key's member and role (no row when unknown, revoked or the member is inactive).
create function ll_authenticate(p_hash bytea)
returns table (practice_id uuid, credential_id uuid, member_id uuid, role text)
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    found_practice uuid;
    found_credential uuid;
begin
    select ci.practice_id, ci.credential_id into found_practice, found_credential
    from credential_index ci where ci.secret_hash = p_hash and ci.kind = 'apiKey';
    if not found then
        return;
    end if;
    perform set_config('app.practice_id', found_practice::text, true);
    return query
        select k.practice_id, k.id, k.member_id, m.role
        from api_keys k
        join members m on m.practice_id = k.practice_id and m.id = k.member_id
        where k.practice_id = found_practice and k.id = found_credential
          and k.revoked_at is null and m.active;
    -- Record use at most once a minute per key, to keep reads cheap.
    update api_keys k set last_used_at = now()
    where k.practice_id = found_practice and k.id = found_credential
      and (k.last_used_at is null or k.last_used_at < now() - interval '60 seconds');
end
$$;

create table audit_log (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    at timestamptz not null default now(),
    actor_type text not null check (actor_type in ('member', 'operator', 'system')),
    member_id uuid,
    credential_id text,
    method text not null,
    entity_ids text[] not null default '{}',
    outcome text not null check (outcome in ('ok', 'error')),
    error_code integer,
    request_id text not null,
    primary key (practice_id, id),
    foreign key (practice_id, member_id) references members (practice_id, id)
);
create index audit_log_time on audit_log (practice_id, at desc, id desc);
select ll_enable_tenant_rls('audit_log');

create function ll_audit_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'audit_log is append-only' using errcode = 'LL002';
end
$$;
create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function ll_audit_append_only();

-- Global job queue (outbox). Each job carries its practice; the worker claims globally and
-- runs the effect inside that practice's transaction.
create table jobs (
    id bigint generated always as identity primary key,
    practice_id uuid not null references practices (practice_id),
    kind text not null,
    payload jsonb not null default '{}',
    status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'dead')),
    run_at timestamptz not null default now(),
    attempts integer not null default 0,
    max_attempts integer not null default 10,
    lease_expires_at timestamptz,
    locked_by text,
    last_error text,
    dedupe_key text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz
);
create index jobs_ready on jobs (run_at) where status = 'queued';
create index jobs_leased on jobs (lease_expires_at) where status = 'running';
create unique index jobs_dedupe on jobs (practice_id, kind, dedupe_key) where dedupe_key is not null;

grant usage on schema public to ledgerline_app;
grant execute on function ll_current_practice() to ledgerline_app;
grant execute on function ll_authenticate(bytea) to ledgerline_app;
grant select, insert, update on practices to ledgerline_app;
grant select, insert, update on members to ledgerline_app;
grant select, insert, update on api_keys to ledgerline_app;
grant select, insert on audit_log to ledgerline_app;
grant select, insert, update, delete on jobs to ledgerline_app;
revoke all on credential_index from ledgerline_app;
