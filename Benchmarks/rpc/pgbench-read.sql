-- The SQL one practice.get request runs.
begin;
select practice_id, credential_id, member_id, role from ll_authenticate(decode('{HASH}', 'hex'));
select practice_id, legal_name, tax_id, tax_id_type, npi, taxonomy_code, billing_provider_type, address::text as address,
       phone, time_zone, version, created_at, updated_at from practices;
insert into audit_log (practice_id, id, at, actor_type, member_id, credential_id, method, entity_ids, outcome, error_code, request_id)
values ('{PRACTICE}', gen_random_uuid(), now(), 'member', '{MEMBER}', '{KEY}', 'practice.get', '{}', 'ok', null, 'req_pgbench');
commit;
