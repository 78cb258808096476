-- Billing runs, invoices and payments (API-billing.md §7). One run per month;
-- invoices per (tier, seller, buyer) of the run's month, numbered by each
-- seller's own counter with no gaps; payments record money received outside
-- partnerd. A charge line points at the one invoice (not void) it is on.
CREATE TABLE billing_runs (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
    started_at BIGINT NOT NULL,
    completed_at BIGINT,
    invoice_count BIGINT NOT NULL DEFAULT 0,
    line_count BIGINT NOT NULL DEFAULT 0,
    -- JSON: [{"tier": "...", "amountMinor": n}, ...] in tier order
    totals TEXT NOT NULL DEFAULT '[]',
    digest TEXT,
    created_by TEXT NOT NULL
);

CREATE TABLE invoice_counters (
    seller_organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    last_number BIGINT NOT NULL
);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('operatorToProvider', 'providerToReseller', 'resellerToCustomer')),
    seller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    seller_name TEXT NOT NULL,
    buyer_organization_id TEXT NOT NULL REFERENCES organizations (id),
    buyer_name TEXT NOT NULL,
    month TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'paid', 'void')),
    currency TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    -- JSON: [{"resellerOrganizationId": "...", "resellerName": "...", "amountMinor": n}, ...]
    reseller_subtotals TEXT NOT NULL DEFAULT '[]',
    amount_paid_minor BIGINT NOT NULL DEFAULT 0,
    document_digest TEXT NOT NULL,
    billing_run_id TEXT REFERENCES billing_runs (id),
    replaces_invoice_id TEXT REFERENCES invoices (id),
    replaced_by_invoice_id TEXT REFERENCES invoices (id),
    invoice_date TEXT,
    due_date TEXT,
    issued_at BIGINT,
    paid_at BIGINT,
    voided_at BIGINT,
    void_reason TEXT,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (seller_organization_id, number)
);
CREATE INDEX invoices_seller ON invoices (seller_organization_id, month, number);
CREATE INDEX invoices_buyer ON invoices (buyer_organization_id, month, number);
CREATE INDEX invoices_run ON invoices (billing_run_id);

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    reference TEXT NOT NULL,
    note TEXT,
    status TEXT NOT NULL CHECK (status IN ('recorded', 'reversed')),
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    reversed_at BIGINT,
    reverse_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX payments_invoice ON payments (invoice_id, recorded_at);
