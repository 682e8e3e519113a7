-- Member sign-in. One identity per email across practices (a biller may work for several): the
-- password hash with its KDF cost, TOTP, recovery codes and lockout live in the global `identities`
-- table, which the application role reaches only through the functions below. A member of a
-- practice can sign in once they accepted an invitation. Sessions are credentials like API keys:
-- tenant rows indexed in credential_index, found by the hash of their token.

create table identities (
    id uuid primary key,
    email text not null unique check (email = lower(email) and length(email) between 3 and 254),
    password_hash text not null,
    totp_secret bytea,
    totp_enabled boolean not null default false,
    totp_last_step bigint,
    recovery_codes bytea[] not null default '{}',
    failed_attempts integer not null default 0,
    locked_until timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

alter table members add column sign_in_enabled boolean not null default false;

alter table credential_index drop constraint credential_index_kind_check;
alter table credential_index add constraint credential_index_kind_check
    check (kind in ('apiKey', 'session', 'invitation'));

create table invitations (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    member_id uuid not null,
    email text not null,
    token_hash bytea not null,
    expires_at timestamptz not null,
    accepted_at timestamptz,
    invited_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, member_id) references members (practice_id, id)
);
select ll_enable_tenant_rls('invitations');

create table user_sessions (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    member_id uuid not null,
    identity_id uuid not null,
    token_hash bytea not null,
    user_agent text,
    source_address text,
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now(),
    idle_seconds integer not null check (idle_seconds > 0),
    absolute_seconds integer not null check (absolute_seconds > 0),
    revoked_at timestamptz,
    primary key (practice_id, id),
    foreign key (practice_id, member_id) references members (practice_id, id)
);
create index user_sessions_identity on user_sessions (practice_id, identity_id);
select ll_enable_tenant_rls('user_sessions');

create function ll_index_credential() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    insert into credential_index (secret_hash, practice_id, credential_id, kind)
    values (new.token_hash, new.practice_id, new.id, tg_argv[0]);
    return new;
end
$$;
create trigger user_sessions_index after insert on user_sessions
    for each row execute function ll_index_credential('session');
create trigger invitations_index after insert on invitations
    for each row execute function ll_index_credential('invitation');

-- The identity of an email, for sign-in (no row when there is none).
create function ll_identity(p_email text)
returns table (id uuid, password_hash text, totp_secret bytea, totp_enabled boolean, totp_last_step bigint,
               recovery_codes bytea[], failed_attempts integer, locked_until timestamptz)
language sql security definer set search_path = public, pg_temp as $$
    select i.id, i.password_hash, i.totp_secret, i.totp_enabled, i.totp_last_step, i.recovery_codes,
           i.failed_attempts, i.locked_until
    from identities i where i.email = lower(p_email)
$$;

-- Practices an identity may sign in to: active members with sign-in enabled.
create function ll_identity_memberships(p_email text)
returns table (practice_id uuid, member_id uuid, role text, practice_name text)
language sql security definer set search_path = public, pg_temp as $$
    select m.practice_id, m.id, m.role, p.legal_name
    from members m join practices p on p.practice_id = m.practice_id
    where lower(m.email) = lower(p_email) and m.active and m.sign_in_enabled
    order by p.legal_name, m.practice_id
$$;

-- A failed sign-in: counts it and locks the identity for p_lock_seconds after p_lock_after failures.
create function ll_identity_failed(p_id uuid, p_lock_after integer, p_lock_seconds integer)
returns table (failed_attempts integer, locked_until timestamptz)
language sql security definer set search_path = public, pg_temp as $$
    update identities set failed_attempts = identities.failed_attempts + 1,
        locked_until = case when identities.failed_attempts + 1 >= p_lock_after
                            then now() + make_interval(secs => p_lock_seconds) else identities.locked_until end,
        updated_at = now()
    where id = p_id
    returning identities.failed_attempts, identities.locked_until
$$;

-- A successful sign-in: clears failures, remembers the TOTP step used, spends a recovery code.
create function ll_identity_succeeded(p_id uuid, p_totp_step bigint, p_recovery_code bytea)
returns void
language sql security definer set search_path = public, pg_temp as $$
    update identities set failed_attempts = 0, locked_until = null,
        totp_last_step = coalesce(p_totp_step, totp_last_step),
        recovery_codes = case when p_recovery_code is null then recovery_codes
                              else array_remove(recovery_codes, p_recovery_code) end,
        updated_at = now()
    where id = p_id
$$;

-- Creates the identity of an email, or changes its password (invitation, reset).
create function ll_identity_set_password(p_email text, p_password_hash text)
returns uuid
language sql security definer set search_path = public, pg_temp as $$
    insert into identities (id, email, password_hash) values (gen_random_uuid(), lower(p_email), p_password_hash)
    on conflict (email) do update set password_hash = excluded.password_hash, failed_attempts = 0,
        locked_until = null, updated_at = now()
    returning id
$$;

-- TOTP enrolment: the (sealed) secret, enabled or not, and the recovery code hashes.
create function ll_identity_set_totp(p_id uuid, p_secret bytea, p_enabled boolean, p_recovery_codes bytea[])
returns void
language sql security definer set search_path = public, pg_temp as $$
    update identities set totp_secret = p_secret, totp_enabled = p_enabled, totp_last_step = null,
        recovery_codes = coalesce(p_recovery_codes, recovery_codes), updated_at = now()
    where id = p_id
$$;

-- An owner lifts a lockout of a member of the current practice.
create function ll_identity_unlock(p_email text)
returns boolean
language sql security definer set search_path = public, pg_temp as $$
    update identities set failed_attempts = 0, locked_until = null, updated_at = now()
    where email = lower(p_email)
      and exists (select 1 from members m where m.practice_id = ll_current_practice() and lower(m.email) = lower(p_email))
    returning true
$$;

-- Finds a pending invitation by its token hash and sets the transaction's practice from it.
create function ll_invitation(p_hash bytea)
returns table (practice_id uuid, invitation_id uuid)
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    found_practice uuid;
    found_invitation uuid;
begin
    select ci.practice_id, ci.credential_id into found_practice, found_invitation
    from credential_index ci where ci.secret_hash = p_hash and ci.kind = 'invitation';
    if not found then
        return;
    end if;
    perform set_config('app.practice_id', found_practice::text, true);
    return query select found_practice, found_invitation;
end
$$;

-- Looks a session token up: sets the practice and answers the member, role and session while the
-- session is neither revoked, idle past its limit, nor older than its absolute lifetime; records use.
create function ll_authenticate_session(p_hash bytea)
returns table (practice_id uuid, session_id uuid, member_id uuid, role text, identity_id uuid)
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    found_practice uuid;
    found_session uuid;
begin
    select ci.practice_id, ci.credential_id into found_practice, found_session
    from credential_index ci where ci.secret_hash = p_hash and ci.kind = 'session';
    if not found then
        return;
    end if;
    perform set_config('app.practice_id', found_practice::text, true);
    return query
        with used as (
            update user_sessions s set last_used_at = now()
            from members m
            where s.practice_id = found_practice and s.id = found_session
              and m.practice_id = s.practice_id and m.id = s.member_id and m.active and m.sign_in_enabled
              and s.revoked_at is null
              and s.last_used_at + make_interval(secs => s.idle_seconds) > now()
              and s.created_at + make_interval(secs => s.absolute_seconds) > now()
            returning s.practice_id, s.id, s.member_id, m.role, s.identity_id
        )
        select * from used;
end
$$;

-- Invitations go out as notifications to the member.
alter table notifications drop constraint notifications_template_check;
alter table notifications add constraint notifications_template_check
    check (template in ('billSent', 'paymentReceipt', 'superbillReady', 'claimNeedsReview', 'claimDenied',
                        'memberInvitation'));
alter table notifications drop constraint notifications_recipient_kind_check;
alter table notifications add constraint notifications_recipient_kind_check
    check (recipient_kind in ('client', 'contact', 'practice', 'member'));

grant execute on function ll_identity(text), ll_identity_memberships(text), ll_identity_failed(uuid, integer, integer),
    ll_identity_succeeded(uuid, bigint, bytea), ll_identity_set_password(text, text),
    ll_identity_set_totp(uuid, bytea, boolean, bytea[]), ll_identity_unlock(text), ll_invitation(bytea),
    ll_authenticate_session(bytea) to ledgerline_app;
grant select, insert, update on invitations, user_sessions to ledgerline_app;
grant update (sign_in_enabled) on members to ledgerline_app;
