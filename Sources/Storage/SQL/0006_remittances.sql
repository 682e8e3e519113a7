-- Money back: remittances (ERA 835) as received, their claims, and the ledger rows they post.

-- One 835 transaction (one check or EFT). The same payment imported twice — by the poller and by
-- hand, or the same file twice — is refused by (payer, trace number).
create table remittances (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    source text not null check (source in ('import', 'clearinghouse')),
    source_id text,
    payer_key text not null,
    payer_name text not null,
    trace_number text not null,
    payment_method text,
    paid_cents bigint not null,
    payment_date date,
    claim_count integer not null,
    unmatched_count integer not null default 0,
    balance_problems text[] not null default '{}',
    x12 text not null,
    imported_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, payer_key, trace_number)
);
select ll_enable_tenant_rls('remittances');

-- Each CLP of a remittance: matched to our claim by patient control number, or waiting for a person
-- to assign it.
create table remittance_claims (
    practice_id uuid not null,
    id uuid not null,
    remittance_id uuid not null,
    position integer not null,
    patient_control_number text not null,
    claim_id uuid,
    status_code text not null,
    charge_cents bigint not null,
    paid_cents bigint not null,
    patient_responsibility_cents bigint not null,
    payer_claim_number text,
    adjustments jsonb not null default '[]' check (jsonb_typeof(adjustments) = 'array'),
    posted_at timestamptz,
    outcome text,
    primary key (practice_id, id),
    unique (practice_id, remittance_id, position),
    foreign key (practice_id, remittance_id) references remittances (practice_id, id),
    foreign key (practice_id, claim_id) references claims (practice_id, id)
);
create index remittance_claims_unmatched on remittance_claims (practice_id, remittance_id) where claim_id is null;
select ll_enable_tenant_rls('remittance_claims');

-- Insurance money posted to a bill (negative for a reversal), immutable like every ledger row.
create table insurance_payments (
    practice_id uuid not null,
    id uuid not null,
    bill_id uuid not null,
    claim_id uuid,
    remittance_claim_id uuid,
    amount_cents bigint not null check (amount_cents <> 0),
    payer_name text not null,
    reference text,
    received_on date not null,
    created_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    foreign key (practice_id, claim_id) references claims (practice_id, id),
    foreign key (practice_id, remittance_claim_id) references remittance_claims (practice_id, id)
);
create index insurance_payments_bill on insurance_payments (practice_id, bill_id);
create trigger insurance_payments_immutable before update or delete on insurance_payments
    for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('insurance_payments');

-- Patient responsibility assigned by the payer: moves an amount of a bill from insurance pending to
-- the client's side.
create table responsibility_transfers (
    practice_id uuid not null,
    id uuid not null,
    bill_id uuid not null,
    claim_id uuid,
    remittance_claim_id uuid,
    amount_cents bigint not null check (amount_cents <> 0),
    reason text not null,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    foreign key (practice_id, claim_id) references claims (practice_id, id),
    foreign key (practice_id, remittance_claim_id) references remittance_claims (practice_id, id)
);
create index responsibility_transfers_bill on responsibility_transfers (practice_id, bill_id);
create trigger responsibility_transfers_immutable before update or delete on responsibility_transfers
    for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('responsibility_transfers');

grant select, insert on remittances, insurance_payments, responsibility_transfers to ledgerline_app;
grant select, insert, update on remittance_claims to ledgerline_app;
grant update (unmatched_count) on remittances to ledgerline_app;
