-- Webhooks: an organisation's subscriptions to events, and one delivery row per
-- event and subscription, retried with backoff until it succeeds or gives up.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    -- Comma separated event types, or "*".
    events TEXT NOT NULL,
    description TEXT,
    enabled BIGINT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX webhooks_org_idx ON webhooks (organization_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempt BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    response_status BIGINT,
    duration_ms BIGINT,
    next_attempt_at BIGINT,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
