-- Password reset by email, and sign-in throttling per source address. Both global (before anyone is
-- signed in), reached by the application role only through these functions.

create table password_resets (
    token_hash bytea primary key,
    identity_id uuid not null references identities (id),
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now()
);
create index password_resets_identity on password_resets (identity_id);

-- Stores a reset token for the identity of an email; answers the identity (no row for an unknown email).
create function ll_reset_create(p_email text, p_hash bytea, p_seconds integer)
returns uuid
language sql security definer set search_path = public, pg_temp as $$
    insert into password_resets (token_hash, identity_id, expires_at)
    select p_hash, i.id, now() + make_interval(secs => p_seconds) from identities i where i.email = lower(p_email)
    returning identity_id
$$;

-- Spends a reset token: answers the identity's email once, while it has not expired.
create function ll_reset_use(p_hash bytea)
returns text
language sql security definer set search_path = public, pg_temp as $$
    with used as (
        update password_resets set used_at = now()
        where token_hash = p_hash and used_at is null and expires_at > now()
        returning identity_id
    )
    select i.email from identities i join used on used.identity_id = i.id
$$;

-- Ends every session of an identity, in every practice (after a password reset).
create function ll_identity_revoke_sessions(p_email text)
returns integer
language sql security definer set search_path = public, pg_temp as $$
    with ended as (
        update user_sessions s set revoked_at = now()
        from identities i
        where i.email = lower(p_email) and s.identity_id = i.id and s.revoked_at is null
        returning 1
    )
    select count(*)::integer from ended
$$;

-- Failed sign-ins per source address in a sliding window.
create table sign_in_failures (
    source_address text not null,
    at timestamptz not null default now()
);
create index sign_in_failures_source on sign_in_failures (source_address, at);

-- Counts a failure from an address and answers how many it made within the last p_window_seconds
-- (older rows are pruned on the way).
create function ll_sign_in_failure(p_source text, p_window_seconds integer)
returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    recent integer;
begin
    delete from sign_in_failures where at < now() - make_interval(secs => p_window_seconds);
    insert into sign_in_failures (source_address) values (p_source);
    select count(*) into recent from sign_in_failures
    where source_address = p_source and at > now() - make_interval(secs => p_window_seconds);
    return recent;
end
$$;

-- Failures from an address within the window, without adding one.
create function ll_sign_in_failures(p_source text, p_window_seconds integer)
returns integer
language sql security definer set search_path = public, pg_temp as $$
    select count(*)::integer from sign_in_failures
    where source_address = p_source and at > now() - make_interval(secs => p_window_seconds)
$$;

grant execute on function ll_reset_create(text, bytea, integer), ll_reset_use(bytea),
    ll_identity_revoke_sessions(text), ll_sign_in_failure(text, integer), ll_sign_in_failures(text, integer)
    to ledgerline_app;

alter table notifications drop constraint notifications_template_check;
alter table notifications add constraint notifications_template_check
    check (template in ('billSent', 'paymentReceipt', 'superbillReady', 'claimNeedsReview', 'claimDenied',
                        'memberInvitation', 'passwordReset'));
