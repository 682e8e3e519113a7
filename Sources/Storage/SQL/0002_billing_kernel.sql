-- Billing kernel: payer catalog (global), practice settings, service locations, services,
-- enrollment, clients, contacts, policies, sessions, signed notes, bills, payments and the
-- immutable ledger (allocations, adjustments, refunds), idempotency records, files.

-- Global reference data: payers with their clearinghouse ids. No practice_id, no PHI.
create table payers (
    id uuid primary key,
    name text not null,
    clearinghouse_payer_id text not null,
    payer_type text not null check (payer_type in ('commercial', 'medicare', 'medicaid', 'tricare', 'bcbs', 'other')),
    address jsonb,
    phone text,
    claims_enrollment_required boolean not null default false,
    era_enrollment_required boolean not null default true,
    active boolean not null default true,
    unique (clearinghouse_payer_id)
);
create index payers_name on payers (lower(name));

alter table members add column supervisor_member_id uuid;
alter table members add constraint members_supervisor_fk
    foreign key (practice_id, supervisor_member_id) references members (practice_id, id);

create table practice_settings (
    practice_id uuid primary key references practices (practice_id),
    settings jsonb not null check (jsonb_typeof(settings) = 'object'),
    version integer not null default 1,
    updated_at timestamptz not null default now()
);
select ll_enable_tenant_rls('practice_settings');

create table service_locations (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    name text not null,
    place_of_service text not null,
    address jsonb check (address is null or jsonb_typeof(address) = 'object'),
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id)
);
select ll_enable_tenant_rls('service_locations');

create table services (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    code text not null,
    code_type text not null check (code_type in ('cpt', 'hcpcs', 'custom')),
    name text not null,
    description text not null,
    default_rate_cents bigint not null check (default_rate_cents >= 0),
    default_duration_minutes integer,
    billed_in_units boolean not null default false,
    may_repeat boolean not null default false,
    addon_parent_codes text[] not null default '{}',
    enabled boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, code)
);
select ll_enable_tenant_rls('services');

create table enrollments (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    payer_id uuid not null references payers (id),
    kind text not null check (kind in ('claims', 'era')),
    status text not null check (status in ('notStarted', 'pending', 'approved', 'rejected')),
    submitted_on date,
    decided_on date,
    note text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, payer_id, kind)
);
select ll_enable_tenant_rls('enrollments');

create table clients (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    external_id text,
    first_name text not null,
    middle_name text,
    last_name text not null,
    preferred_name text,
    date_of_birth date not null,
    sex text not null check (sex in ('M', 'F', 'U')),
    address jsonb check (address is null or jsonb_typeof(address) = 'object'),
    phone text,
    email text,
    consent_email boolean not null default false,
    consent_sms boolean not null default false,
    diagnoses text[] not null default '{}',
    billing_overrides jsonb not null default '{}' check (jsonb_typeof(billing_overrides) = 'object'),
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, external_id)
);
select ll_enable_tenant_rls('clients');

create table client_clinicians (
    practice_id uuid not null,
    client_id uuid not null,
    member_id uuid not null,
    primary key (practice_id, client_id, member_id),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, member_id) references members (practice_id, id)
);
create index client_clinicians_member on client_clinicians (practice_id, member_id);
select ll_enable_tenant_rls('client_clinicians');

create table contacts (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    first_name text not null,
    last_name text not null,
    email text,
    phone text,
    address jsonb check (address is null or jsonb_typeof(address) = 'object'),
    consent_email boolean not null default false,
    consent_sms boolean not null default false,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id)
);
select ll_enable_tenant_rls('contacts');

create table contact_links (
    practice_id uuid not null,
    contact_id uuid not null,
    client_id uuid not null,
    roles text[] not null check (cardinality(roles) > 0 and roles <@ array['guardian', 'billingContact', 'emergency']),
    primary key (practice_id, contact_id, client_id),
    foreign key (practice_id, contact_id) references contacts (practice_id, id),
    foreign key (practice_id, client_id) references clients (practice_id, id)
);
create index contact_links_client on contact_links (practice_id, client_id);
select ll_enable_tenant_rls('contact_links');

create table policies (
    practice_id uuid not null,
    id uuid not null,
    client_id uuid not null,
    payer_id uuid not null references payers (id),
    coverage_order text not null check (coverage_order in ('primary', 'secondary', 'tertiary')),
    member_number text not null,
    group_number text,
    plan_name text,
    relationship text not null check (relationship in ('self', 'spouse', 'child', 'other')),
    subscriber jsonb check (subscriber is null or jsonb_typeof(subscriber) = 'object'),
    copay_cents bigint not null default 0 check (copay_cents >= 0),
    coinsurance_percent integer not null default 0 check (coinsurance_percent between 0 and 100),
    deductible_cents bigint not null default 0 check (deductible_cents >= 0),
    effective_from date not null,
    effective_to date,
    prior_authorization jsonb check (prior_authorization is null or jsonb_typeof(prior_authorization) = 'object'),
    active boolean not null default true,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    check (effective_to is null or effective_to >= effective_from)
);
create index policies_client on policies (practice_id, client_id);
select ll_enable_tenant_rls('policies');

create table sessions (
    practice_id uuid not null,
    id uuid not null,
    client_id uuid not null,
    rendering_member_id uuid not null,
    supervising_member_id uuid,
    location_id uuid,
    external_id text,
    date_of_service date not null,
    start_time time,
    duration_minutes integer check (duration_minutes is null or duration_minutes between 1 and 1440),
    place_of_service text not null,
    billing text not null check (billing in ('selfPay', 'insurance')),
    policy_id uuid,
    attendance text not null check (attendance in ('completed', 'noShow', 'lateCancel', 'cancelled')),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, external_id),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, rendering_member_id) references members (practice_id, id),
    foreign key (practice_id, supervising_member_id) references members (practice_id, id),
    foreign key (practice_id, location_id) references service_locations (practice_id, id),
    foreign key (practice_id, policy_id) references policies (practice_id, id),
    check (billing = 'selfPay' or policy_id is not null)
);
create index sessions_client on sessions (practice_id, client_id, date_of_service);
select ll_enable_tenant_rls('sessions');

create table session_lines (
    practice_id uuid not null,
    session_id uuid not null,
    line_number integer not null check (line_number between 1 and 50),
    service_id uuid not null,
    code text not null,
    units integer not null check (units between 1 and 999),
    rate_cents bigint not null check (rate_cents >= 0),
    modifiers text[] not null default '{}' check (cardinality(modifiers) <= 4),
    primary key (practice_id, session_id, line_number),
    foreign key (practice_id, session_id) references sessions (practice_id, id),
    foreign key (practice_id, service_id) references services (practice_id, id)
);
select ll_enable_tenant_rls('session_lines');

-- Signed notes: diagnoses, signer and time only (no note text). Immutable; an amendment is a new version.
create table notes (
    practice_id uuid not null,
    id uuid not null,
    session_id uuid not null,
    note_version integer not null check (note_version >= 1),
    diagnoses text[] not null check (cardinality(diagnoses) between 1 and 12),
    signed_by uuid not null,
    signed_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, session_id, note_version),
    foreign key (practice_id, session_id) references sessions (practice_id, id),
    foreign key (practice_id, signed_by) references members (practice_id, id)
);
select ll_enable_tenant_rls('notes');

create function ll_immutable_row() returns trigger
language plpgsql as $$
begin
    raise exception '% rows are immutable', tg_table_name using errcode = 'LL003';
end
$$;
create trigger notes_immutable before update or delete on notes for each row execute function ll_immutable_row();

create table bill_counters (
    practice_id uuid primary key references practices (practice_id),
    last_number bigint not null default 0
);
select ll_enable_tenant_rls('bill_counters');

create table bills (
    practice_id uuid not null,
    id uuid not null,
    number text not null,
    client_id uuid not null,
    status text not null check (status in ('pended', 'open', 'complete', 'void')),
    due_on date not null,
    opened_at timestamptz,
    completed_at timestamptz,
    voided_at timestamptz,
    void_reason text,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, number),
    foreign key (practice_id, client_id) references clients (practice_id, id)
);
create index bills_client on bills (practice_id, client_id, created_at);
select ll_enable_tenant_rls('bills');

-- Charges: immutable lines of a bill; each line's amount is split at creation into the client's
-- portion and the portion expected from insurance.
create table bill_lines (
    practice_id uuid not null,
    id uuid not null,
    bill_id uuid not null,
    line_number integer not null,
    kind text not null check (kind in ('service', 'fee')),
    session_id uuid,
    session_line_number integer,
    date_of_service date not null,
    code text,
    modifiers text[] not null default '{}',
    units integer not null default 1,
    description text not null,
    amount_cents bigint not null check (amount_cents >= 0),
    client_portion_cents bigint not null check (client_portion_cents >= 0),
    insurance_portion_cents bigint not null check (insurance_portion_cents >= 0),
    primary key (practice_id, id),
    unique (practice_id, bill_id, line_number),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    foreign key (practice_id, session_id) references sessions (practice_id, id),
    check (client_portion_cents + insurance_portion_cents = amount_cents)
);
create trigger bill_lines_immutable before update or delete on bill_lines for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('bill_lines');

-- Which session is on which live bill: a session is billed at most once unless its bill is voided.
create table bill_sessions (
    practice_id uuid not null,
    session_id uuid not null,
    bill_id uuid not null,
    active boolean not null default true,
    primary key (practice_id, session_id, bill_id),
    foreign key (practice_id, session_id) references sessions (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id)
);
create unique index bill_sessions_live on bill_sessions (practice_id, session_id) where active;
select ll_enable_tenant_rls('bill_sessions');

create table payments (
    practice_id uuid not null,
    id uuid not null,
    client_id uuid not null,
    payer_contact_id uuid,
    amount_cents bigint not null check (amount_cents > 0),
    method text not null check (method in ('cash', 'check', 'card', 'other')),
    received_on date not null,
    reference text,
    recorded_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, payer_contact_id) references contacts (practice_id, id)
);
create index payments_client on payments (practice_id, client_id);
create trigger payments_immutable before update or delete on payments for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('payments');

-- Allocations of a payment to a bill; a reversal is a new row with a negative amount.
create table allocations (
    practice_id uuid not null,
    id uuid not null,
    payment_id uuid not null,
    bill_id uuid not null,
    amount_cents bigint not null check (amount_cents <> 0),
    reverses_id uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, payment_id) references payments (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    foreign key (practice_id, reverses_id) references allocations (practice_id, id)
);
create index allocations_payment on allocations (practice_id, payment_id);
create index allocations_bill on allocations (practice_id, bill_id);
create trigger allocations_immutable before update or delete on allocations for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('allocations');

-- Adjustments reduce what a bill owes: discounts and write-offs (client side) or insurance write-offs.
create table adjustments (
    practice_id uuid not null,
    id uuid not null,
    bill_id uuid not null,
    kind text not null check (kind in ('discount', 'writeOff', 'insuranceWriteOff')),
    responsibility text not null check (responsibility in ('client', 'insurance')),
    amount_cents bigint not null check (amount_cents > 0),
    reason text not null,
    group_code text,
    reason_code text,
    created_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id)
);
create index adjustments_bill on adjustments (practice_id, bill_id);
create trigger adjustments_immutable before update or delete on adjustments for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('adjustments');

create table refunds (
    practice_id uuid not null,
    id uuid not null,
    payment_id uuid not null,
    amount_cents bigint not null check (amount_cents > 0),
    reason text not null,
    refunded_on date not null,
    created_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, payment_id) references payments (practice_id, id)
);
create index refunds_payment on refunds (practice_id, payment_id);
create trigger refunds_immutable before update or delete on refunds for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('refunds');

-- Idempotency: one row per (practice, key); the first request's result is replayed to duplicates.
create table idempotency_keys (
    practice_id uuid not null references practices (practice_id),
    key text not null,
    method text not null,
    request_hash bytea not null,
    response bytea,
    created_at timestamptz not null default now(),
    primary key (practice_id, key)
);
select ll_enable_tenant_rls('idempotency_keys');

-- Short-lived generated documents (bill and superbill PDFs), fetched by an unguessable token.
create table files (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    token_hash bytea not null,
    kind text not null,
    content_type text not null,
    content bytea not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, token_hash)
);
select ll_enable_tenant_rls('files');

create table superbills (
    practice_id uuid not null,
    id uuid not null,
    client_id uuid not null,
    period_from date not null,
    period_to date not null,
    data jsonb not null,
    created_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    check (period_to >= period_from)
);
select ll_enable_tenant_rls('superbills');

-- Global index of file tokens (hash → practice), read only through ll_file_by_token.
create table file_index (
    token_hash bytea primary key,
    practice_id uuid not null references practices (practice_id),
    file_id uuid not null,
    expires_at timestamptz not null
);

create function ll_index_file() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    insert into file_index (token_hash, practice_id, file_id, expires_at)
    values (new.token_hash, new.practice_id, new.id, new.expires_at);
    return new;
end
$$;
create trigger files_index after insert on files for each row execute function ll_index_file();

-- Returns an unexpired file by its token hash (and sets the transaction's practice to the file's).
create function ll_file_by_token(p_hash bytea)
returns table (content_type text, content bytea, kind text)
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    found_practice uuid;
    found_file uuid;
begin
    select fi.practice_id, fi.file_id into found_practice, found_file
    from file_index fi where fi.token_hash = p_hash and fi.expires_at > now();
    if not found then
        return;
    end if;
    perform set_config('app.practice_id', found_practice::text, true);
    return query select f.content_type, f.content, f.kind from files f
        where f.practice_id = found_practice and f.id = found_file and f.expires_at > now();
end
$$;

grant select on payers to ledgerline_app;
grant select, insert, update on practice_settings, service_locations, services, enrollments, clients, contacts,
    policies, sessions, bills, bill_counters to ledgerline_app;
grant select, insert, delete on client_clinicians, contact_links, session_lines to ledgerline_app;
grant select, insert, update on bill_sessions to ledgerline_app;
grant select, insert on notes, bill_lines, payments, allocations, adjustments, refunds, superbills to ledgerline_app;
grant select, insert, update, delete on idempotency_keys to ledgerline_app;
grant select, insert, delete on files to ledgerline_app;
grant execute on function ll_file_by_token(bytea) to ledgerline_app;
revoke all on file_index from ledgerline_app;
