-- Creates what Ledgerline expects on a fresh PostgreSQL 15 cluster: the same roles and database as
-- the embedded cluster's Bootstrap.ensureRolesAndDatabase (Sources/Storage/Embedded/EmbeddedPostgres.swift)
-- and infra/sql/roles.sql.
--
--   ledgerline_owner  runs `ledgerline migrate` and owns every table; BYPASSRLS, because migrations
--                     must see every practice's rows (e.g. to validate a new foreign key on FORCEd
--                     tables). Never given to the servers.
--   ledgerline_app    what the servers connect as (DATABASE_URL): not superuser, NOBYPASSRLS, owns
--                     nothing. The server refuses to start otherwise (RoleGuard in LedgerlineServer.swift).
--   ledgerline        the database, owned by ledgerline_owner; only ledgerline_app may connect besides.
--
-- docker-compose mounts this file into /docker-entrypoint-initdb.d/, so the postgres image runs it
-- with psql as the superuser the first time the data volume is initialised (never again: to re-run
-- it, remove the volume). The passwords come from the container's environment (infra/.env.example,
-- overridden by infra/.env): psql 15's \getenv reads them, so no password is written here.
-- On any other PostgreSQL, use infra/sql/roles.sql instead (or run this with both variables set).

\set ON_ERROR_STOP on
\getenv owner_password DB_OWNER_PASSWORD
\getenv app_password DB_APP_PASSWORD

\if :{?owner_password}
\else
    \echo 'init.sql: DB_OWNER_PASSWORD is not set in the environment'
    select 1 / 0 as db_owner_password_missing;
\endif
\if :{?app_password}
\else
    \echo 'init.sql: DB_APP_PASSWORD is not set in the environment'
    select 1 / 0 as db_app_password_missing;
\endif

create role ledgerline_owner login nosuperuser bypassrls nocreatedb nocreaterole password :'owner_password';
create role ledgerline_app login nosuperuser nobypassrls nocreatedb nocreaterole password :'app_password';
create database ledgerline owner ledgerline_owner;
revoke all on database ledgerline from public;
grant connect on database ledgerline to ledgerline_app;
