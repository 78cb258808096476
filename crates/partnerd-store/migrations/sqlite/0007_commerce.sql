-- Commerce: orders and their lines, the subscriptions they create, each
-- subscription's change history, and license assignments to customer users.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    reseller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    indirect_provider_id TEXT NOT NULL REFERENCES organizations (id),
    placed_by_organization_id TEXT NOT NULL,
    placed_by_user_id TEXT,
    placed_by_api_key_id TEXT,
    status TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at, id);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    line_item_number BIGINT NOT NULL,
    offer_id TEXT NOT NULL,
    offer_name TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    friendly_name TEXT,
    billing_cycle TEXT NOT NULL,
    PRIMARY KEY (order_id, line_item_number)
);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    offer_id TEXT NOT NULL,
    offer_name TEXT NOT NULL,
    product_family TEXT NOT NULL,
    friendly_name TEXT,
    quantity BIGINT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    billing_cycle TEXT NOT NULL,
    status TEXT NOT NULL,
    auto_renew BIGINT NOT NULL,
    term_start BIGINT NOT NULL,
    commitment_end BIGINT NOT NULL,
    reseller_organization_id TEXT NOT NULL REFERENCES organizations (id),
    indirect_provider_id TEXT NOT NULL REFERENCES organizations (id),
    suspended_by_organization_id TEXT,
    suspended_reason TEXT,
    cancelled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, created_at, id);
CREATE INDEX subscriptions_supply_idx ON subscriptions (indirect_provider_id, reseller_organization_id, status);
CREATE INDEX subscriptions_reseller_idx ON subscriptions (reseller_organization_id, customer_id, status);
CREATE INDEX subscriptions_term_idx ON subscriptions (status, commitment_end);

CREATE TABLE subscription_changes (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    at BIGINT NOT NULL,
    by_organization_id TEXT,
    by_user_id TEXT,
    by_api_key_id TEXT,
    field TEXT NOT NULL,
    from_value TEXT,
    to_value TEXT
);
CREATE INDEX subscription_changes_subscription_idx ON subscription_changes (subscription_id, at, id);

CREATE TABLE license_assignments (
    customer_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL,
    offer_id TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, offer_id)
);
CREATE INDEX license_assignments_customer_idx ON license_assignments (customer_id, offer_id);
