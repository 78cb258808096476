-- Every status column accepts only the values its enum in partnerd-domain's
-- states.rs knows (the store test `status_checks_match_the_domain` keeps the two
-- lists equal). Existing rows are checked as the constraint is added, so a database
-- holding a value no release wrote stops the upgrade here instead of failing later.
ALTER TABLE audit_records ADD CONSTRAINT audit_records_operation_status_check CHECK (operation_status IN ('succeeded','failed'));
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending','sent','failed'));
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_check CHECK (state IN ('inflight','done'));
ALTER TABLE offers ADD CONSTRAINT offers_status_check CHECK (status IN ('available','retired'));
ALTER TABLE organizations ADD CONSTRAINT organizations_enrollment_status_check CHECK (enrollment_status IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn'));
ALTER TABLE enrollments ADD CONSTRAINT enrollments_status_check CHECK (status IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn'));
ALTER TABLE reseller_invitations ADD CONSTRAINT reseller_invitations_status_check CHECK (status IN ('pending','accepted','declined','revoked','expired'));
ALTER TABLE partner_relationships ADD CONSTRAINT partner_relationships_state_check CHECK (state IN ('active','terminated'));
ALTER TABLE customer_requests ADD CONSTRAINT customer_requests_status_check CHECK (status IN ('pending','accepted','declined','revoked','expired'));
ALTER TABLE customer_relationships ADD CONSTRAINT customer_relationships_state_check CHECK (state IN ('active','terminated'));
ALTER TABLE delegated_admin_relationships ADD CONSTRAINT delegated_admin_relationships_status_check CHECK (status IN ('active','expired','terminated'));
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending','completed','cancelled'));
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check CHECK (status IN ('active','suspended','cancelled','expired'));
ALTER TABLE service_requests ADD CONSTRAINT service_requests_status_check CHECK (status IN ('open','attentionNeeded','closed'));
ALTER TABLE service_incidents ADD CONSTRAINT service_incidents_status_check CHECK (status IN ('active','resolved'));
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending','succeeded','failed'));
