-- Per-practice integrations with plugins, notifications and their delivery attempts, stored
-- payment methods (processor tokens only) and card charges. Every table is a tenant table.

-- Which loaded plugin serves one of a practice's slots, with the practice's settings for it.
-- The settings (secrets included) are sealed with AES-GCM, the practice id bound as associated
-- data (SecretBox); nothing here is readable without the server's key.
create table integrations (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    slot text not null check (slot in ('clearinghouse', 'paymentProcessor', 'email', 'sms')),
    kind text not null check (kind in ('clearinghouse', 'paymentProcessor', 'notificationChannel')),
    plugin text not null check (plugin ~ '^[a-z0-9_-]{1,64}$'),
    settings_sealed text not null,
    last_test jsonb check (last_test is null or jsonb_typeof(last_test) = 'object'),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, slot),
    check ((kind = 'notificationChannel') = (slot in ('email', 'sms'))),
    check (kind <> 'clearinghouse' or slot = 'clearinghouse'),
    check (kind <> 'paymentProcessor' or slot = 'paymentProcessor')
);
select ll_enable_tenant_rls('integrations');

-- One message to one person through one channel. The content is rendered and frozen when the
-- message is requested; delivery happens in the job queue (at-least-once, ARCHITECTURE.md §8).
create table notifications (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    template text not null check (template in ('billSent', 'paymentReceipt', 'superbillReady',
                                               'claimNeedsReview', 'claimDenied')),
    channel text not null check (channel in ('email', 'sms')),
    recipient text not null,
    recipient_kind text not null check (recipient_kind in ('client', 'contact', 'practice')),
    client_id uuid,
    contact_id uuid,
    bill_id uuid,
    subject text,
    body_text text not null,
    body_html text,
    attachment_name text,
    attachment_type text,
    attachment bytea,
    idempotency_key text not null,
    status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
    attempts integer not null default 0,
    provider_message_id text,
    last_error text,
    requested_by uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    sent_at timestamptz,
    primary key (practice_id, id),
    unique (practice_id, idempotency_key),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, contact_id) references contacts (practice_id, id),
    foreign key (practice_id, bill_id) references bills (practice_id, id),
    check ((attachment is null) = (attachment_name is null))
);
create index notifications_recent on notifications (practice_id, created_at desc, id desc);
create index notifications_bill on notifications (practice_id, bill_id) where bill_id is not null;
select ll_enable_tenant_rls('notifications');

-- Every hand-off to the provider, kept even when the attempt failed: the delivery record, and how
-- tests count duplicates (a message handed over twice has two 'accepted' attempts).
create table notification_attempts (
    practice_id uuid not null,
    notification_id uuid not null,
    attempt integer not null check (attempt > 0),
    outcome text not null check (outcome in ('accepted', 'retry', 'failed')),
    provider_message_id text,
    error_code text,
    error_message text,
    plugin text not null,
    at timestamptz not null default now(),
    primary key (practice_id, notification_id, attempt),
    foreign key (practice_id, notification_id) references notifications (practice_id, id)
);
create trigger notification_attempts_immutable before update or delete on notification_attempts
    for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('notification_attempts');

-- A card or bank account kept by the practice's payment processor: Ledgerline stores the
-- processor's token and what the front end may show (brand, last four, expiry), never card data.
create table payment_methods (
    practice_id uuid not null references practices (practice_id),
    id uuid not null,
    client_id uuid not null,
    contact_id uuid,
    plugin text not null check (plugin ~ '^[a-z0-9_-]{1,64}$'),
    processor_token text not null check (length(processor_token) between 1 and 255),
    brand text,
    last4 text check (last4 is null or last4 ~ '^[0-9]{4}$'),
    exp_month integer check (exp_month is null or exp_month between 1 and 12),
    exp_year integer check (exp_year is null or exp_year between 2000 and 2200),
    label text,
    active boolean not null default true,
    created_by uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, plugin, processor_token),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, contact_id) references contacts (practice_id, id)
);
create index payment_methods_client on payment_methods (practice_id, client_id);
select ll_enable_tenant_rls('payment_methods');

-- Each charge asked of the processor, approved or declined; an approved one points at the payment
-- it recorded. The processor idempotency key is unique so a retried call charges once.
create table card_charges (
    practice_id uuid not null,
    id uuid not null,
    client_id uuid not null,
    payment_method_id uuid not null,
    amount_cents bigint not null check (amount_cents > 0),
    processor_idempotency_key text not null,
    outcome text not null check (outcome in ('approved', 'declined')),
    processor_charge_id text,
    decline_reason text,
    payment_id uuid,
    requested_by uuid,
    created_at timestamptz not null default now(),
    primary key (practice_id, id),
    unique (practice_id, processor_idempotency_key),
    foreign key (practice_id, client_id) references clients (practice_id, id),
    foreign key (practice_id, payment_method_id) references payment_methods (practice_id, id),
    foreign key (practice_id, payment_id) references payments (practice_id, id),
    check ((outcome = 'approved') = (processor_charge_id is not null and payment_id is not null))
);
create trigger card_charges_immutable before update or delete on card_charges
    for each row execute function ll_immutable_row();
select ll_enable_tenant_rls('card_charges');

grant select, insert, update, delete on integrations to ledgerline_app;
grant select, insert, update on notifications, payment_methods to ledgerline_app;
grant select, insert on notification_attempts, card_charges to ledgerline_app;
