-- Customers: the reseller's relationship requests (optionally three-way, optionally
-- with delegated admin), the partner ↔ customer relationships acceptance creates,
-- delegated admin relationships, and the record of imported customers.
CREATE TABLE customer_requests (
    id TEXT PRIMARY KEY,
    reseller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    indirect_provider_id TEXT REFERENCES organizations (id),
    include_delegated_admin BIGINT NOT NULL,
    delegated_admin_days BIGINT,
    customer_id TEXT REFERENCES organizations (id),
    recipient_email TEXT,
    message TEXT,
    status TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_by_customer_id TEXT,
    decided_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX customer_requests_token_hash_key ON customer_requests (token_hash);
CREATE INDEX customer_requests_reseller_idx ON customer_requests (reseller_organization_id, created_at, id);

CREATE TABLE customer_relationships (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    partner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- indirectReseller or indirectProvider
    role TEXT NOT NULL,
    -- For a provider brought in by a three-way request: the reseller that asked.
    linked_reseller_id TEXT,
    request_id TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    terminated_at BIGINT,
    terminated_by_organization_id TEXT,
    terminated_by_user_id TEXT,
    -- "customer:partner" while active, NULL once ended: one active relationship per pair.
    active_key TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX customer_relationships_active_key_key ON customer_relationships (active_key);
CREATE INDEX customer_relationships_partner_idx ON customer_relationships (partner_organization_id, state, created_at, id);
CREATE INDEX customer_relationships_customer_idx ON customer_relationships (customer_id, created_at, id);

CREATE TABLE delegated_admin_relationships (
    id TEXT PRIMARY KEY,
    partner_organization_id TEXT NOT NULL REFERENCES organizations (id),
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL,
    duration_days BIGINT NOT NULL,
    activated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    terminated_at BIGINT,
    terminated_by_organization_id TEXT,
    terminated_by_user_id TEXT,
    warned_at BIGINT,
    -- "partner:customer" while active: one active delegation per pair.
    active_key TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX delegated_admin_relationships_active_key_key ON delegated_admin_relationships (active_key);
CREATE INDEX delegated_admin_relationships_partner_idx ON delegated_admin_relationships (partner_organization_id, activated_at, id);
CREATE INDEX delegated_admin_relationships_customer_idx ON delegated_admin_relationships (customer_id, activated_at, id);
CREATE INDEX delegated_admin_relationships_expiry_idx ON delegated_admin_relationships (status, expires_at);

CREATE TABLE customer_imports (
    customer_id TEXT PRIMARY KEY REFERENCES organizations (id),
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX customer_imports_source_external_id_key ON customer_imports (source, external_id);
CREATE INDEX customer_imports_imported_idx ON customer_imports (imported_at, customer_id);

-- Keys that must not live in configuration files only (shared by every replica).
CREATE TABLE platform_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
