-- The vendor's catalog and the indirect-provider authorisations, with the
-- directory listing each authorised provider keeps. Money is in minor units.
CREATE TABLE offers (
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    product_family TEXT NOT NULL,
    billing_cycle TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    min_quantity BIGINT NOT NULL,
    max_quantity BIGINT NOT NULL,
    requires_admin_agent BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'available',
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT offers_id_key PRIMARY KEY (id)
);
CREATE INDEX offers_family_idx ON offers (product_family, status);
CREATE INDEX offers_created_idx ON offers (created_at, id);

CREATE TABLE provider_authorizations (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id),
    countries TEXT NOT NULL,
    product_families TEXT NOT NULL,
    authorized_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    listed BIGINT NOT NULL DEFAULT 1,
    name_sort TEXT NOT NULL,
    description TEXT,
    website TEXT,
    contact_email TEXT
);
CREATE INDEX provider_authorizations_name_idx ON provider_authorizations (name_sort, organization_id);
