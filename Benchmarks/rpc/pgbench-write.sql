-- The SQL one member.update request runs (each client updates one of the benchmark's members).
\set m random(0, {N})
begin;
select practice_id, credential_id, member_id, role from ll_authenticate(decode('{HASH}', 'hex'));
select id, first_name, last_name, email, role, npi, taxonomy_code, credentials, active, version, created_at, updated_at
  from members where lower(email) = 'bench' || :m || '@example.com' for update;
update members set first_name = 'Bench', last_name = 'Bench' || :m, email = email, role = role, npi = npi,
       taxonomy_code = taxonomy_code, credentials = credentials, active = active, version = version + 1, updated_at = now()
 where lower(email) = 'bench' || :m || '@example.com'
 returning id, first_name, last_name, email, role, npi, taxonomy_code, credentials, active, version, created_at, updated_at;
insert into audit_log (practice_id, id, at, actor_type, member_id, credential_id, method, entity_ids, outcome, error_code, request_id)
values ('{PRACTICE}', gen_random_uuid(), now(), 'member', '{MEMBER}', '{KEY}', 'member.update', '{}', 'ok', null, 'req_pgbench');
commit;
