-- The customer's country on each of its relationships (a customer's country never
-- changes): a partner's customer list filtered by country reads one index range,
-- total included, instead of every customer of the partner.
ALTER TABLE customer_relationships ADD COLUMN customer_country TEXT;
UPDATE customer_relationships SET customer_country =
    (SELECT o.country FROM organizations o WHERE o.id = customer_relationships.customer_id);
CREATE INDEX customer_relationships_country_idx
    ON customer_relationships (partner_organization_id, state, customer_country, created_at, id);
