-- Money back, continued: payments recorded by hand from a paper EOB, reversals, corrected and void
-- claims, and secondary claims.

-- A lump-sum check typed in by a biller is stored like an ERA (source 'manual', no X12 text), so the
-- same check is never recorded twice and the posting rows point at it.
alter table remittances drop constraint remittances_source_check;
alter table remittances add constraint remittances_source_check
    check (source in ('import', 'clearinghouse', 'manual'));
alter table remittances alter column x12 drop not null;
alter table remittances add constraint remittances_x12_unless_manual check (source = 'manual' or x12 is not null);
create index remittances_trace on remittances (practice_id, trace_number);

-- A payer reversal (CLP02 = 22) takes a contractual write-off back: an insurance write-off may be
-- negative; client-side discounts and write-offs stay positive.
alter table adjustments drop constraint adjustments_amount_cents_check;
alter table adjustments add constraint adjustments_amount_cents_check
    check (amount_cents > 0 or (kind = 'insuranceWriteOff' and amount_cents <> 0));
alter table adjustments add column claim_id uuid;
alter table adjustments add constraint adjustments_claim_fk
    foreign key (practice_id, claim_id) references claims (practice_id, id);

-- A session is on at most one live claim per payer position: the primary claim and, once the
-- primary has adjudicated, the secondary (and tertiary) claim.
alter table claims add column payer_sequence text not null default 'primary'
    check (payer_sequence in ('primary', 'secondary', 'tertiary'));
alter table claim_sessions add column payer_sequence text not null default 'primary'
    check (payer_sequence in ('primary', 'secondary', 'tertiary'));
drop index claim_sessions_live;
create unique index claim_sessions_live on claim_sessions (practice_id, session_id, payer_sequence) where live;
