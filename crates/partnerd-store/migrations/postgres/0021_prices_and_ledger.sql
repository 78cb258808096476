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
    sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE FUNCTION charge_lines_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'charge lines are immutable';
    END IF;
    IF (to_jsonb(NEW) - 'invoice_id') IS DISTINCT FROM (to_jsonb(OLD) - 'invoice_id') THEN
        RAISE EXCEPTION 'charge lines are immutable';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charge_lines_immutable BEFORE UPDATE OR DELETE ON charge_lines
    FOR EACH ROW EXECUTE FUNCTION charge_lines_immutable();
