-- Provider → reseller invitations and the relationships they create.
CREATE TABLE reseller_invitations (
    id TEXT PRIMARY KEY,
    provider_organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    reseller_name TEXT,
    message TEXT,
    status TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_by_organization_id TEXT,
    relationship_id TEXT,
    decided_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX reseller_invitations_token_hash_key ON reseller_invitations (token_hash);
CREATE INDEX reseller_invitations_provider_idx ON reseller_invitations (provider_organization_id, created_at, id);

CREATE TABLE partner_relationships (
    id TEXT PRIMARY KEY,
    provider_organization_id TEXT NOT NULL REFERENCES organizations (id),
    reseller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    terminated_at BIGINT,
    terminated_by_organization_id TEXT,
    terminated_by_user_id TEXT,
    -- "provider:reseller" while active, NULL once ended: one active relationship per
    -- pair. (A partial unique index on state trips SQLite's planner in this table's
    -- list queries.)
    active_key TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX partner_relationships_active_key_key ON partner_relationships (active_key);
CREATE INDEX partner_relationships_provider_idx ON partner_relationships (provider_organization_id, created_at, id);
CREATE INDEX partner_relationships_reseller_idx ON partner_relationships (reseller_organization_id, created_at, id);
