-- Flags were kept as BIGINT 0/1 on both backends. PostgreSQL now keeps them as
-- BOOLEAN, so the database itself refuses any other value; every 0 becomes false
-- and every other number true. (SQLite has no boolean type: its flags stay 0/1.)
ALTER TABLE users
    ALTER COLUMN must_change_password DROP DEFAULT,
    ALTER COLUMN must_change_password TYPE BOOLEAN USING must_change_password <> 0,
    ALTER COLUMN must_change_password SET DEFAULT FALSE,
    ALTER COLUMN disabled DROP DEFAULT,
    ALTER COLUMN disabled TYPE BOOLEAN USING disabled <> 0,
    ALTER COLUMN disabled SET DEFAULT FALSE;

ALTER TABLE sessions
    ALTER COLUMN restricted DROP DEFAULT,
    ALTER COLUMN restricted TYPE BOOLEAN USING restricted <> 0,
    ALTER COLUMN restricted SET DEFAULT FALSE;

ALTER TABLE offers
    ALTER COLUMN requires_admin_agent DROP DEFAULT,
    ALTER COLUMN requires_admin_agent TYPE BOOLEAN USING requires_admin_agent <> 0,
    ALTER COLUMN requires_admin_agent SET DEFAULT FALSE;

ALTER TABLE provider_authorizations
    ALTER COLUMN listed DROP DEFAULT,
    ALTER COLUMN listed TYPE BOOLEAN USING listed <> 0,
    ALTER COLUMN listed SET DEFAULT TRUE;

ALTER TABLE enrollments
    ALTER COLUMN existing_partner DROP DEFAULT,
    ALTER COLUMN existing_partner TYPE BOOLEAN USING existing_partner <> 0,
    ALTER COLUMN existing_partner SET DEFAULT FALSE,
    ALTER COLUMN primary_contact_verified DROP DEFAULT,
    ALTER COLUMN primary_contact_verified TYPE BOOLEAN USING primary_contact_verified <> 0,
    ALTER COLUMN primary_contact_verified SET DEFAULT FALSE;

ALTER TABLE customer_requests
    ALTER COLUMN include_delegated_admin TYPE BOOLEAN USING include_delegated_admin <> 0;

ALTER TABLE subscriptions
    ALTER COLUMN auto_renew TYPE BOOLEAN USING auto_renew <> 0;

ALTER TABLE webhooks
    ALTER COLUMN enabled TYPE BOOLEAN USING enabled <> 0;
