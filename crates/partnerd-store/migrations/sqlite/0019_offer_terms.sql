-- New-commerce terms (API-billing.md §2, §2.1). An offer sells plans — a term
-- duration with a billing frequency — priced per month in versions: the version
-- effective for a month is the one with the greatest `effective_from` not after
-- it. An offer also names the offers it upgrades to and the offers it needs (an
-- add-on), a per-customer seat cap and a trial.
--
-- Existing offers had one billing cycle and one price. Each becomes one plan
-- (`monthly` → P1M monthly, `annual` → P1Y annual), its default, priced in one
-- version effective from the month the offer was created. The price and cycle
-- columns then go: the plans and versions hold them now.
ALTER TABLE offers ADD COLUMN default_term_duration TEXT NOT NULL DEFAULT 'P1M'
    CHECK (default_term_duration IN ('P1M', 'P1Y', 'P3Y'));
ALTER TABLE offers ADD COLUMN default_billing_frequency TEXT NOT NULL DEFAULT 'monthly'
    CHECK (default_billing_frequency IN ('monthly', 'annual', 'upfront'));
ALTER TABLE offers ADD COLUMN max_quantity_per_customer BIGINT
    CHECK (max_quantity_per_customer BETWEEN 1 AND 1000000);
ALTER TABLE offers ADD COLUMN trial_days BIGINT CHECK (trial_days BETWEEN 1 AND 90);
-- A trial has both its length and its seat limit, or the offer has no trial.
ALTER TABLE offers ADD COLUMN trial_max_quantity BIGINT
    CHECK (trial_max_quantity >= 1 AND (trial_max_quantity IS NULL) = (trial_days IS NULL));

-- A billing cycle this release does not know stops the upgrade (NOT NULL) rather
-- than becoming some plan.
UPDATE offers SET
    default_term_duration = CASE billing_cycle WHEN 'monthly' THEN 'P1M' WHEN 'annual' THEN 'P1Y' END,
    default_billing_frequency = CASE billing_cycle WHEN 'monthly' THEN 'monthly' WHEN 'annual' THEN 'annual' END;

CREATE TABLE offer_plans (
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    term_duration TEXT NOT NULL CHECK (term_duration IN ('P1M', 'P1Y', 'P3Y')),
    billing_frequency TEXT NOT NULL CHECK (billing_frequency IN ('monthly', 'annual', 'upfront')),
    position BIGINT NOT NULL,
    CONSTRAINT offer_plans_sold CHECK (
        (term_duration = 'P1M' AND billing_frequency = 'monthly')
        OR (term_duration = 'P1Y' AND billing_frequency IN ('monthly', 'annual'))
        OR term_duration = 'P3Y'
    ),
    PRIMARY KEY (offer_id, term_duration, billing_frequency)
);
CREATE INDEX offer_plans_plan_idx ON offer_plans (term_duration, billing_frequency, offer_id);
CREATE INDEX offer_plans_frequency_idx ON offer_plans (billing_frequency, offer_id);
INSERT INTO offer_plans (offer_id, term_duration, billing_frequency, position)
SELECT id, default_term_duration, default_billing_frequency, 0 FROM offers;

CREATE TABLE offer_price_versions (
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    effective_from TEXT NOT NULL
        CHECK (length(effective_from) = 7 AND effective_from GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'
            AND substr(effective_from, 6, 2) BETWEEN '01' AND '12'),
    created_at BIGINT NOT NULL,
    created_by_type TEXT NOT NULL CHECK (created_by_type IN ('user', 'apiKey', 'system')),
    created_by_user_id TEXT,
    created_by_api_key_id TEXT,
    created_by_name TEXT,
    PRIMARY KEY (offer_id, effective_from)
);
INSERT INTO offer_price_versions (offer_id, effective_from, created_at, created_by_type, created_by_name)
SELECT id, strftime('%Y-%m', created_at / 1000, 'unixepoch'), created_at, 'system', 'upgrade' FROM offers;

CREATE TABLE offer_prices (
    offer_id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    term_duration TEXT NOT NULL,
    billing_frequency TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (offer_id, effective_from, term_duration, billing_frequency),
    FOREIGN KEY (offer_id, effective_from)
        REFERENCES offer_price_versions (offer_id, effective_from) ON DELETE CASCADE,
    FOREIGN KEY (offer_id, term_duration, billing_frequency)
        REFERENCES offer_plans (offer_id, term_duration, billing_frequency)
);
CREATE INDEX offer_prices_plan_idx ON offer_prices (offer_id, term_duration, billing_frequency, effective_from);
INSERT INTO offer_prices (offer_id, effective_from, term_duration, billing_frequency, unit_price_minor)
SELECT o.id, v.effective_from, o.default_term_duration, o.default_billing_frequency, o.unit_price_minor
FROM offers o JOIN offer_price_versions v ON v.offer_id = o.id;

CREATE TABLE offer_upgrade_targets (
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    target_offer_id TEXT NOT NULL REFERENCES offers (id),
    position BIGINT NOT NULL,
    CHECK (target_offer_id <> offer_id),
    PRIMARY KEY (offer_id, target_offer_id)
);
-- Downgrades at renewal look for the offers that list an offer as their target.
CREATE INDEX offer_upgrade_targets_target_idx ON offer_upgrade_targets (target_offer_id, offer_id);

CREATE TABLE offer_prerequisites (
    offer_id TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    prerequisite_offer_id TEXT NOT NULL REFERENCES offers (id),
    position BIGINT NOT NULL,
    CHECK (prerequisite_offer_id <> offer_id),
    PRIMARY KEY (offer_id, prerequisite_offer_id)
);
CREATE INDEX offer_prerequisites_prerequisite_idx ON offer_prerequisites (prerequisite_offer_id, offer_id);

ALTER TABLE offers DROP COLUMN unit_price_minor;
ALTER TABLE offers DROP COLUMN billing_cycle;
