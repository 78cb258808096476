-- Foundation: organisations, users, sessions, API keys, audit trail, outbox,
-- idempotency records and sign-in failures. Times are epoch milliseconds; flags are 0/1.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    legal_name TEXT,
    country TEXT NOT NULL,
    domain_prefix TEXT NOT NULL,
    default_domain TEXT NOT NULL,
    programs TEXT NOT NULL DEFAULT '',
    enrollment_status TEXT,
    membership_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX organizations_domain_prefix_key ON organizations (domain_prefix);
CREATE UNIQUE INDEX organizations_kind_key ON organizations (kind) WHERE kind = 'operator';
CREATE INDEX organizations_created_idx ON organizations (created_at, id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    last_sign_in_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_norm_key ON users (email_norm);
CREATE INDEX users_organization_idx ON users (organization_id, created_at, id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    restricted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX api_keys_secret_hash_key ON api_keys (secret_hash);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at, id);

CREATE TABLE audit_records (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    actor_name TEXT,
    actor_organization_id TEXT,
    on_behalf_of_organization_id TEXT,
    on_behalf_of_name TEXT,
    participants TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    operation_type TEXT NOT NULL,
    operation_status TEXT NOT NULL,
    changes TEXT,
    request_id TEXT,
    source_ip TEXT
);
CREATE INDEX audit_records_occurred_idx ON audit_records (occurred_at, id);

-- One row per organisation that may read a record: the index behind "records where
-- my organisation is a participant", newest first.
CREATE TABLE audit_participants (
    organization_id TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    record_id TEXT NOT NULL REFERENCES audit_records (id),
    PRIMARY KEY (organization_id, occurred_at, record_id)
);

CREATE TABLE signin_failures (
    email_norm TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX signin_failures_email_idx ON signin_failures (email_norm, failed_at);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    completed_at BIGINT
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    response_status BIGINT,
    response_headers TEXT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT idempotency_keys_principal_idem_key_key PRIMARY KEY (principal, idem_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
