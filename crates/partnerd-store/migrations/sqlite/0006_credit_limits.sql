-- The credit limit a provider sets per reseller (one per provider–reseller
-- relationship; no row, or a NULL limit, means not enforced).
CREATE TABLE credit_limits (
    relationship_id TEXT PRIMARY KEY REFERENCES partner_relationships (id),
    limit_minor BIGINT,
    currency TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
