-- Service requests (about a customer, or about partnerd itself) with their notes,
-- and the operator's service-health incidents with their updates.
CREATE TABLE service_requests (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    customer_id TEXT REFERENCES organizations (id),
    scope TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    product_family TEXT,
    status TEXT NOT NULL,
    primary_contact_user_id TEXT,
    primary_contact_email TEXT,
    assigned_to TEXT,
    created_at BIGINT NOT NULL,
    last_modified_at BIGINT NOT NULL,
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_requests_org_idx ON service_requests (organization_id, created_at, id);
CREATE INDEX service_requests_status_idx ON service_requests (status, created_at, id);
CREATE INDEX service_requests_customer_idx ON service_requests (customer_id, created_at, id);

CREATE TABLE service_request_notes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    text TEXT NOT NULL,
    author_user_id TEXT,
    author_organization_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX service_request_notes_request_idx ON service_request_notes (request_id, created_at, id);

CREATE TABLE service_incidents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    -- Comma separated.
    product_families TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    resolved_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_incidents_status_idx ON service_incidents (status, created_at, id);

CREATE TABLE service_incident_updates (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES service_incidents (id),
    message TEXT NOT NULL,
    posted_at BIGINT NOT NULL
);
CREATE INDEX service_incident_updates_incident_idx ON service_incident_updates (incident_id, posted_at, id);

-- The retention job deletes old audit records by time.
CREATE INDEX audit_participants_occurred_idx ON audit_participants (occurred_at);
