-- Insurance claims: the frozen claim, its sessions, its event timeline, upload batches, per-practice
-- control numbers and clearinghouse cursors. Every table is a tenant table.

-- Per-practice counters: patient control numbers are never reused, and every interchange a
-- practice sends has its own control number.
create table claim_counters (
    practice_id uuid primary key references practices (practice_id),
    next_claim bigint not null default 1 check (next_claim > 0),
    next_interchange bigint not null default 1 check (next_interchange between 1 and 999999999)
);
select ll_enable_tenant_rls('claim_counters');

-- Upload batches: one 837P file of up to 2,000 claims. The file and its name are frozen before the
-- first attempt, so a retry after a crash sends exactly the same bytes under the same name.
create table claim_batches (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    state text not null check (state in ('ready', 'uploading', 'done', 'rejected')),
    plugin text not null,
    file_name text not null,
    x12 text not null,
    claim_count integer not null check (claim_count between 1 and 2000),
    total_cents bigint not null check (total_cents >= 0),
    attempts integer not null default 0,
    first_attempt_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, file_name)
);
create index claim_batches_open on claim_batches (practice_id, created_at) where state in ('ready', 'uploading');
select ll_enable_tenant_rls('claim_batches');

create table claims (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    client_id uuid not null,
    bill_id uuid not null,
    policy_id uuid not null,
    payer_id uuid not null,
    patient_control_number text not null check (patient_control_number ~ '^[A-Z0-9]{1,20}$'),
    status text not null check (status in ('notSubmitted', 'queued', 'sent', 'received', 'inProcess', 'paid',
                                           'needsReview', 'denied', 'void')),
    frequency_code text not null default '1' check (frequency_code in ('1', '7', '8')),
    original_claim_id uuid,
    total_cents bigint not null check (total_cents > 0),
    first_date_of_service date not null,
    snapshot jsonb not null check (jsonb_typeof(snapshot) = 'object'),
    batch_id uuid,
    hold_until timestamptz,
    clearinghouse_claim_id text,
    payer_claim_number text,
    status_message text,
    created_by uuid,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, patient_control_number),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    foreign key (practice_id, policy_id) references policies (practice_id, id),
    foreign key (payer_id) references payers (id),
    foreign key (practice_id, original_claim_id) references claims (practice_id, id),
    foreign key (practice_id, batch_id) references claim_batches (practice_id, id)
);
create index claims_status on claims (practice_id, status, created_at);
create index claims_client on claims (practice_id, client_id);
create index claims_batch on claims (practice_id, batch_id) where batch_id is not null;
select ll_enable_tenant_rls('claims');

-- Sessions a claim bills. A session is on at most one live (not Void) claim of a coverage order.
create table claim_sessions (
    practice_id uuid not null,
    claim_id uuid not null,
    session_id uuid not null,
    live boolean not null default true,
    primary key (practice_id, claim_id, session_id),
    foreign key (practice_id, claim_id) references claims (practice_id, id),
    foreign key (practice_id, session_id) references sessions (practice_id, id)
);
create unique index claim_sessions_live on claim_sessions (practice_id, session_id) where live;
select ll_enable_tenant_rls('claim_sessions');

-- The timeline: every transition with what caused it (append-only).
create table claim_events (
    practice_id uuid not null,
    id uuid not null,
    claim_id uuid not null,
    at timestamptz not null default now(),
    from_status text,
    to_status text not null,
    source text not null check (source in ('user', 'system', 'clearinghouse', 'payer')),
    message text,
    details jsonb check (details is null or jsonb_typeof(details) = 'object'),
    member_id uuid,
    primary key (practice_id, id),
    foreign key (practice_id, claim_id) references claims (practice_id, id)
);
create index claim_events_claim on claim_events (practice_id, claim_id, at, id);
create trigger claim_events_immutable before update or delete on claim_events
    for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('claim_events');

-- Where each practice's clearinghouse feeds were read up to (Claim.MD ResponseID and ERAID).
create table clearinghouse_cursors (
    practice_id uuid primary key references practices (practice_id),
    status_cursor text,
    remittance_cursor text,
    last_status_poll_at timestamptz,
    updated_at timestamptz not null default now()
);
select ll_enable_tenant_rls('clearinghouse_cursors');

-- Alerts for the practice (a claim stuck without acknowledgement, a batch the clearinghouse refused).
create table practice_alerts (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    kind text not null check (kind in ('claimStuck', 'batchRejected', 'claimNeedsReview')),
    claim_id uuid,
    message text not null,
    dedupe_key text not null,
    created_at timestamptz not null default now(),
    resolved_at timestamptz,
    primary key (practice_id, id),
    unique (practice_id, dedupe_key),
    foreign key (practice_id, claim_id) references claims (practice_id, id)
);
select ll_enable_tenant_rls('practice_alerts');

grant select, insert, update on claim_counters, claim_batches, claims, claim_sessions, clearinghouse_cursors,
    practice_alerts to ledgerline_app;
grant select, insert on claim_events to ledgerline_app;
