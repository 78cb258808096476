-- New-commerce subscriptions (API-billing.md §4, §10 item 7): each subscription runs
-- on a term with a billing plan, ends on a UTC day TE (commitment_end is the instant
-- τ that follows it), holds its three tiers' locked prices, its seat batches of the
-- cancellation window, its next-term instructions and the instant of its next system
-- event. `cancelled` is no longer stored: a cancel deletes.
ALTER TABLE subscriptions ADD COLUMN term_duration TEXT NOT NULL DEFAULT 'P1M';
ALTER TABLE subscriptions ADD COLUMN billing_frequency TEXT NOT NULL DEFAULT 'monthly'
    CHECK (billing_frequency IN ('monthly','annual','upfront','none'));
ALTER TABLE subscriptions ADD COLUMN term_end_date TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN is_trial BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE subscriptions ADD COLUMN source_subscription_id TEXT REFERENCES subscriptions (id);
ALTER TABLE subscriptions ADD COLUMN operator_price_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN customer_price_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN next_period BIGINT NOT NULL DEFAULT 1;
ALTER TABLE subscriptions ADD COLUMN next_event_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN scheduled_offer_id TEXT;
ALTER TABLE subscriptions ADD COLUMN scheduled_term_duration TEXT;
ALTER TABLE subscriptions ADD COLUMN scheduled_billing_frequency TEXT;
ALTER TABLE subscriptions ADD COLUMN scheduled_quantity BIGINT;
ALTER TABLE subscriptions ADD COLUMN disabled_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN deleted_at BIGINT;

-- v1 subscriptions: P1M monthly or P1Y annual, every tier at the v1 price, τ the
-- start of the UTC day of the v1 commitment end and TE the day before; no seat
-- batch (outside any window). Cancelled ones are deleted, keeping cancelled_at.
UPDATE subscriptions SET
    term_duration = CASE billing_cycle WHEN 'annual' THEN 'P1Y' ELSE 'P1M' END,
    billing_frequency = CASE billing_cycle WHEN 'annual' THEN 'annual' ELSE 'monthly' END,
    operator_price_minor = unit_price_minor,
    customer_price_minor = unit_price_minor,
    commitment_end = commitment_end - (commitment_end % 86400000);
UPDATE subscriptions SET
    term_end_date = to_char(to_timestamp(commitment_end / 1000 - 86400) AT TIME ZONE 'UTC', 'YYYY-MM-DD');

ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
UPDATE subscriptions SET status = 'deleted', deleted_at = COALESCE(cancelled_at, updated_at)
    WHERE status = 'cancelled';
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check CHECK (status IN ('active','suspended','expired','disabled','deleted'));

-- The next system event: τ for active and suspended ones (one billing period each,
-- so no cycle charge is pending), τ + 30 days for expired ones.
UPDATE subscriptions SET next_event_at = CASE
    WHEN status IN ('active', 'suspended') THEN commitment_end
    WHEN status = 'expired' THEN commitment_end + 2592000000
    ELSE NULL END;
CREATE INDEX subscriptions_next_event ON subscriptions (next_event_at)
    WHERE next_event_at IS NOT NULL;
CREATE INDEX subscriptions_customer_offer ON subscriptions (customer_id, offer_id, status);

ALTER TABLE order_lines ADD COLUMN term_duration TEXT NOT NULL DEFAULT 'P1M';
ALTER TABLE order_lines ADD COLUMN billing_frequency TEXT NOT NULL DEFAULT 'monthly';
ALTER TABLE order_lines ADD COLUMN term_end_date TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN is_trial BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE order_lines ADD COLUMN operator_price_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN customer_price_minor BIGINT NOT NULL DEFAULT 0;
UPDATE order_lines SET
    term_duration = CASE billing_cycle WHEN 'annual' THEN 'P1Y' ELSE 'P1M' END,
    billing_frequency = CASE billing_cycle WHEN 'annual' THEN 'annual' ELSE 'monthly' END,
    operator_price_minor = unit_price_minor,
    customer_price_minor = unit_price_minor,
    term_end_date = COALESCE(
        (SELECT s.term_end_date FROM subscriptions s WHERE s.id = order_lines.subscription_id), '');

-- Seats added by a purchase, renewal, conversion or increase, refundable for 168 h
-- (in full for 24 h); `position` orders them, newest last.
CREATE TABLE subscription_seat_batches (
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    position BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (subscription_id, position)
);

-- A customer's one trial of an offer, with any partner, ever.
CREATE TABLE customer_trials (
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    offer_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    started_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, offer_id)
);

-- System events applied: the key (subject, kind, scheduled instant) makes each
-- happen once however late or often the job runs, on however many replicas.
CREATE TABLE system_events (
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (subject_id, kind, scheduled_at)
);
