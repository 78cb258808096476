-- One active link per pair was kept by a glued "a:b" text column with a unique
-- index. Partial unique indexes on the pair itself now say the rule directly, and
-- the glued column goes. Names end in `_active_pair`; the store maps SQLite's
-- column-list message onto these names (error.rs). Dropping a column drops its index.

ALTER TABLE partner_relationships DROP COLUMN active_key;
CREATE UNIQUE INDEX partner_relationships_active_pair
    ON partner_relationships (provider_organization_id, reseller_organization_id)
    WHERE state = 'active';

ALTER TABLE customer_relationships DROP COLUMN active_key;
CREATE UNIQUE INDEX customer_relationships_active_pair
    ON customer_relationships (customer_id, partner_organization_id)
    WHERE state = 'active';

ALTER TABLE delegated_admin_relationships DROP COLUMN active_key;
CREATE UNIQUE INDEX delegated_admin_relationships_active_pair
    ON delegated_admin_relationships (partner_organization_id, customer_id)
    WHERE status = 'active';
