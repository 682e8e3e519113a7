-- Inbound webhooks (Claim.MD pushes enrollment and appeal events): one endpoint per practice and
-- plugin, named in its URL by a public id plus a secret whose SHA-256 is compared in constant time;
-- each event applied once.

-- Global, like credential_index: the application role reaches it only through the functions below.
create table webhook_endpoints (
    id uuid primary key,
    practice_id uuid not null references practices (practice_id),
    plugin text not null check (plugin ~ '^[a-z0-9_-]{1,64}$'),
    secret_hash bytea not null,
    created_at timestamptz not null default now(),
    unique (practice_id, plugin)
);

-- The endpoint with this public id: its practice, plugin and secret hash (no row when unknown).
create function ll_webhook_endpoint(p_id uuid)
returns table (practice_id uuid, plugin text, secret_hash bytea)
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    return query select e.practice_id, e.plugin, e.secret_hash from webhook_endpoints e where e.id = p_id;
end
$$;

-- Replaces the current practice's endpoint for a plugin (the old URL stops working).
create function ll_webhook_register(p_plugin text, p_id uuid, p_hash bytea)
returns void
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    current_practice uuid := nullif(current_setting('app.practice_id', true), '')::uuid;
begin
    if current_practice is null then
        raise exception 'no practice is set for this transaction';
    end if;
    delete from webhook_endpoints where practice_id = current_practice and plugin = p_plugin;
    insert into webhook_endpoints (id, practice_id, plugin, secret_hash)
    values (p_id, current_practice, p_plugin, p_hash);
end
$$;

grant execute on function ll_webhook_endpoint(uuid), ll_webhook_register(text, uuid, bytea) to ledgerline_app;

create table webhook_events (
    practice_id uuid not null references practices (practice_id),
    source text not null,
    event_id text not null,
    event_type text not null,
    outcome text not null,
    received_at timestamptz not null default now(),
    primary key (practice_id, source, event_id)
);
select ll_enable_tenant_rls('webhook_events');
grant select, insert on webhook_events to ledgerline_app;
