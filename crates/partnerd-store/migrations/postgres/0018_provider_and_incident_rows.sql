-- A provider's authorised countries and product families, and the product
-- families an incident concerns, were comma lists searched with LIKE. They are
-- rows now, like roles and programmes (0017): one per holder and value, found by
-- index, in the order they were given (`position`). Existing lists are split into
-- rows, then the columns go.
CREATE TABLE provider_countries (
    organization_id TEXT NOT NULL REFERENCES provider_authorizations (organization_id) ON DELETE CASCADE,
    country TEXT NOT NULL CHECK (length(country) = 2),
    position BIGINT NOT NULL,
    PRIMARY KEY (organization_id, country)
);
CREATE INDEX provider_countries_country_idx ON provider_countries (country, organization_id);
INSERT INTO provider_countries (organization_id, country, position)
SELECT t.organization_id, u.item, MIN(u.position) - 1 FROM provider_authorizations t,
    unnest(string_to_array(t.countries, ',')) WITH ORDINALITY AS u (item, position)
WHERE u.item <> '' GROUP BY t.organization_id, u.item;
ALTER TABLE provider_authorizations DROP COLUMN countries;

CREATE TABLE provider_product_families (
    organization_id TEXT NOT NULL REFERENCES provider_authorizations (organization_id) ON DELETE CASCADE,
    product_family TEXT NOT NULL CHECK (product_family <> ''),
    position BIGINT NOT NULL,
    PRIMARY KEY (organization_id, product_family)
);
CREATE INDEX provider_product_families_family_idx ON provider_product_families (product_family, organization_id);
INSERT INTO provider_product_families (organization_id, product_family, position)
SELECT t.organization_id, u.item, MIN(u.position) - 1 FROM provider_authorizations t,
    unnest(string_to_array(t.product_families, ',')) WITH ORDINALITY AS u (item, position)
WHERE u.item <> '' GROUP BY t.organization_id, u.item;
ALTER TABLE provider_authorizations DROP COLUMN product_families;

CREATE TABLE incident_product_families (
    incident_id TEXT NOT NULL REFERENCES service_incidents (id) ON DELETE CASCADE,
    product_family TEXT NOT NULL CHECK (product_family <> ''),
    position BIGINT NOT NULL,
    PRIMARY KEY (incident_id, product_family)
);
CREATE INDEX incident_product_families_family_idx ON incident_product_families (product_family, incident_id);
INSERT INTO incident_product_families (incident_id, product_family, position)
SELECT t.id, u.item, MIN(u.position) - 1 FROM service_incidents t,
    unnest(string_to_array(t.product_families, ',')) WITH ORDINALITY AS u (item, position)
WHERE u.item <> '' GROUP BY t.id, u.item;
ALTER TABLE service_incidents DROP COLUMN product_families;
