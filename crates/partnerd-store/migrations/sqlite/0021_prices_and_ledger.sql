-- Prices per tier (API-billing.md §5): a seller's repricing configs, one per
-- (seller, tier, buyer or default, effective month), each a percentage over its
-- own cost with overrides per offer or product family (first match wins).
CREATE TABLE repricing_configs (
    id TEXT PRIMARY KEY,
    seller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    tier TEXT NOT NULL CHECK (tier IN ('providerToReseller', 'resellerToCustomer')),
    buyer_organization_id TEXT REFERENCES organizations (id),
    effective_from TEXT NOT NULL,
    adjustment_bp BIGINT NOT NULL,
    -- JSON: [{"offerId"|"productFamily": "...", "percentage": hundredths}, ...]
    overrides TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX repricing_configs_key ON repricing_configs
    (seller_organization_id, tier, COALESCE(buyer_organization_id, ''), effective_from);

-- The charge ledger (§6): immutable lines, one set per tier, written in the
-- transaction of the change or system event that causes them. `sequence` grows
-- with every line written; only `invoice_id` ever changes (a void moves lines to
-- the replacement invoice).
CREATE TABLE charge_lines (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    charge_date TEXT NOT NULL,
    charge_type TEXT NOT NULL CHECK (charge_type IN
        ('new', 'cycleCharge', 'renew', 'convert', 'addQuantity', 'removeQuantity', 'cancelImmediate', 'upgrade')),
    tier TEXT NOT NULL CHECK (tier IN ('operatorToProvider', 'providerToReseller', 'resellerToCustomer')),
    seller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    buyer_organization_id TEXT NOT NULL REFERENCES organizations (id),
    indirect_provider_id TEXT NOT NULL,
    reseller_organization_id TEXT NOT NULL,
    reseller_name TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    order_id TEXT,
    offer_id TEXT NOT NULL,
    offer_name TEXT NOT NULL,
    product_family TEXT NOT NULL,
    term_duration TEXT NOT NULL,
    billing_frequency TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    charged_days BIGINT NOT NULL,
    billing_period_days BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    effective_unit_price_minor BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    invoice_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX charge_lines_date ON charge_lines (charge_date, sequence);
CREATE INDEX charge_lines_seller ON charge_lines (seller_organization_id, charge_date, sequence);
CREATE INDEX charge_lines_buyer ON charge_lines (buyer_organization_id, charge_date, sequence);
CREATE INDEX charge_lines_subscription ON charge_lines (subscription_id, sequence);
CREATE INDEX charge_lines_invoice ON charge_lines (invoice_id, charge_date, sequence)
    WHERE invoice_id IS NOT NULL;

CREATE TRIGGER charge_lines_no_delete BEFORE DELETE ON charge_lines
BEGIN SELECT RAISE(ABORT, 'charge lines are immutable'); END;
CREATE TRIGGER charge_lines_no_update BEFORE UPDATE OF charge_date, charge_type, tier, seller_organization_id, buyer_organization_id, indirect_provider_id, reseller_organization_id, reseller_name, customer_id, customer_name, subscription_id, order_id, offer_id, offer_name, product_family, term_duration, billing_frequency, period_start, period_end, charged_days, billing_period_days, quantity, unit_price_minor, effective_unit_price_minor, amount_minor, currency, created_at, id, sequence ON charge_lines
BEGIN SELECT RAISE(ABORT, 'charge lines are immutable'); END;
