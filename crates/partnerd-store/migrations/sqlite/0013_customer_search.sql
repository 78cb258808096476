-- The customer's name (lower case) and domain prefix on each of its relationships
-- (neither changes): a partner's search by prefix reads two index ranges instead
-- of every customer of the partner.
ALTER TABLE customer_relationships ADD COLUMN customer_name_key TEXT;
ALTER TABLE customer_relationships ADD COLUMN customer_domain_prefix TEXT;
UPDATE customer_relationships SET
    customer_name_key =
        (SELECT LOWER(o.name) FROM organizations o WHERE o.id = customer_relationships.customer_id),
    customer_domain_prefix =
        (SELECT o.domain_prefix FROM organizations o WHERE o.id = customer_relationships.customer_id);
CREATE INDEX customer_relationships_name_idx
    ON customer_relationships (partner_organization_id, state, customer_name_key);
CREATE INDEX customer_relationships_domain_idx
    ON customer_relationships (partner_organization_id, state, customer_domain_prefix);
