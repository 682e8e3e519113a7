-- Run once as a superuser before `ledgerline migrate` on an external PostgreSQL.
-- The owner role runs migrations and owns the tables; the application role owns nothing,
-- is not superuser and cannot bypass row-level security. Replace the passwords.
create role ledgerline_owner login password 'change-me-owner' nosuperuser bypassrls;  -- migrations must see all rows
create role ledgerline_app login password 'change-me-app' nosuperuser nobypassrls nocreatedb nocreaterole;
create database ledgerline owner ledgerline_owner;
revoke all on database ledgerline from public;
grant connect on database ledgerline to ledgerline_app;
