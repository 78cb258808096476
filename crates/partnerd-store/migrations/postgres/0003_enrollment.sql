-- The membership registry (partner-network identities and their sign-ins) and the
-- enrollment of indirect resellers, with its short-lived tokens.
CREATE TABLE memberships (
    membership_id TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    country TEXT NOT NULL,
    linked_organization_id TEXT REFERENCES organizations (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT memberships_membership_id_key PRIMARY KEY (membership_id)
);
CREATE UNIQUE INDEX memberships_linked_organization_id_key ON memberships (linked_organization_id)
    WHERE linked_organization_id IS NOT NULL;
CREATE INDEX memberships_created_idx ON memberships (created_at, membership_id);

CREATE TABLE registry_accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_norm TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    membership_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX registry_accounts_username_norm_key ON registry_accounts (username_norm);
CREATE INDEX registry_accounts_created_idx ON registry_accounts (created_at, id);

CREATE TABLE enrollments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL,
    existing_partner BIGINT NOT NULL DEFAULT 0,
    membership_id TEXT,
    legal_profile TEXT,
    support_profile TEXT,
    primary_contact_email TEXT,
    primary_contact_verified BIGINT NOT NULL DEFAULT 0,
    country TEXT NOT NULL,
    legal_name_sort TEXT,
    submitted_at BIGINT,
    decision TEXT,
    history TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX enrollments_status_idx ON enrollments (status, created_at, id);
-- One open or approved enrollment per organisation; a membership in at most one
-- open enrollment.
CREATE UNIQUE INDEX enrollments_organization_id_key ON enrollments (organization_id)
    WHERE status IN ('draft', 'pendingVerification', 'pendingReview', 'approved', 'rejected');
CREATE UNIQUE INDEX enrollments_membership_id_key ON enrollments (membership_id)
    WHERE membership_id IS NOT NULL AND status IN ('draft', 'pendingVerification', 'pendingReview', 'rejected');

CREATE TABLE membership_sessions (
    token_hash TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    account_id TEXT NOT NULL,
    membership_ids TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    invalidated_at BIGINT
);
CREATE INDEX email_verifications_enrollment_idx ON email_verifications (enrollment_id, created_at);
