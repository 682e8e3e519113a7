-- Billing automation: one run per practice and local date (whichever server instance gets the job),
-- AutoPay's retry state per client, and alerts for what automation could not do.

create table automation_runs (
    practice_id uuid not null references practices (practice_id),
    run_date date not null,
    summary jsonb not null check (jsonb_typeof(summary) = 'object'),
    created_at timestamptz not null default now(),
    primary key (practice_id, run_date)
);
select ll_enable_tenant_rls('automation_runs');

-- AutoPay per client: consecutive declines, the next retry date, and when it stopped (three declines).
-- `attempt` numbers definitive outcomes only, so an unknown outcome is retried with the same
-- processor idempotency key and never charges twice.
create table autopay_state (
    practice_id uuid not null references practices (practice_id),
    client_id uuid not null,
    attempt integer not null default 0,
    failures integer not null default 0 check (failures >= 0),
    next_attempt_on date,
    stopped_at timestamptz,
    last_error text,
    updated_at timestamptz not null default now(),
    primary key (practice_id, client_id),
    foreign key (practice_id, client_id) references clients (practice_id, id)
);
select ll_enable_tenant_rls('autopay_state');

alter table practice_alerts drop constraint practice_alerts_kind_check;
alter table practice_alerts add constraint practice_alerts_kind_check
    check (kind in ('claimStuck', 'batchRejected', 'claimNeedsReview', 'automation', 'autoPayStopped'));

grant select, insert on automation_runs to ledgerline_app;
grant select, insert, update on autopay_state to ledgerline_app;
