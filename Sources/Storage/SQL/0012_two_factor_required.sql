-- A practice may require two-factor sign-in for everyone: until a member has enrolled, their
-- session is restricted to enrolling (and signing out).

alter table practices add column require_two_factor boolean not null default false;
alter table user_sessions add column restricted boolean not null default false;

drop function ll_authenticate_session(bytea);
create function ll_authenticate_session(p_hash bytea)
returns table (practice_id uuid, session_id uuid, member_id uuid, role text, identity_id uuid, restricted boolean)
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
            returning s.practice_id, s.id, s.member_id, m.role, s.identity_id, s.restricted
        )
        select * from used;
end
$$;
grant execute on function ll_authenticate_session(bytea) to ledgerline_app;
grant update (restricted) on user_sessions to ledgerline_app;
