-- Each partner's number of active customers, kept in the transaction that starts or
-- ends a customer relationship: the total of an unfiltered customer list without
-- counting every row on each first page.
CREATE TABLE partner_customer_counts (
    partner_organization_id TEXT PRIMARY KEY,
    active BIGINT NOT NULL
);
INSERT INTO partner_customer_counts (partner_organization_id, active)
    SELECT partner_organization_id, COUNT(*) FROM customer_relationships
    WHERE state = 'active' GROUP BY partner_organization_id;
