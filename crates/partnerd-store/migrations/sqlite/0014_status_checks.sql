-- Every status column accepts only the values its enum in partnerd-domain's
-- states.rs knows (the store test `status_checks_match_the_domain` keeps the two
-- lists equal). SQLite cannot add a CHECK to an existing table, so triggers refuse
-- the same rows; the UPDATEs at the end pass any existing row outside its set through
-- them, so a database holding a value no release wrote stops the upgrade here instead
-- of failing later.

CREATE TRIGGER audit_records_operation_status_check_insert BEFORE INSERT ON audit_records
WHEN NEW.operation_status NOT IN ('succeeded','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_records_operation_status_check'); END;
CREATE TRIGGER audit_records_operation_status_check_update BEFORE UPDATE OF operation_status ON audit_records
WHEN NEW.operation_status NOT IN ('succeeded','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_records_operation_status_check'); END;

CREATE TRIGGER outbox_status_check_insert BEFORE INSERT ON outbox
WHEN NEW.status NOT IN ('pending','sent','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox_status_check'); END;
CREATE TRIGGER outbox_status_check_update BEFORE UPDATE OF status ON outbox
WHEN NEW.status NOT IN ('pending','sent','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: outbox_status_check'); END;

CREATE TRIGGER idempotency_keys_state_check_insert BEFORE INSERT ON idempotency_keys
WHEN NEW.state NOT IN ('inflight','done')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: idempotency_keys_state_check'); END;
CREATE TRIGGER idempotency_keys_state_check_update BEFORE UPDATE OF state ON idempotency_keys
WHEN NEW.state NOT IN ('inflight','done')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: idempotency_keys_state_check'); END;

CREATE TRIGGER offers_status_check_insert BEFORE INSERT ON offers
WHEN NEW.status NOT IN ('available','retired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: offers_status_check'); END;
CREATE TRIGGER offers_status_check_update BEFORE UPDATE OF status ON offers
WHEN NEW.status NOT IN ('available','retired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: offers_status_check'); END;

CREATE TRIGGER organizations_enrollment_status_check_insert BEFORE INSERT ON organizations
WHEN NEW.enrollment_status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: organizations_enrollment_status_check'); END;
CREATE TRIGGER organizations_enrollment_status_check_update BEFORE UPDATE OF enrollment_status ON organizations
WHEN NEW.enrollment_status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: organizations_enrollment_status_check'); END;

CREATE TRIGGER enrollments_status_check_insert BEFORE INSERT ON enrollments
WHEN NEW.status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: enrollments_status_check'); END;
CREATE TRIGGER enrollments_status_check_update BEFORE UPDATE OF status ON enrollments
WHEN NEW.status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: enrollments_status_check'); END;

CREATE TRIGGER reseller_invitations_status_check_insert BEFORE INSERT ON reseller_invitations
WHEN NEW.status NOT IN ('pending','accepted','declined','revoked','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: reseller_invitations_status_check'); END;
CREATE TRIGGER reseller_invitations_status_check_update BEFORE UPDATE OF status ON reseller_invitations
WHEN NEW.status NOT IN ('pending','accepted','declined','revoked','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: reseller_invitations_status_check'); END;

CREATE TRIGGER partner_relationships_state_check_insert BEFORE INSERT ON partner_relationships
WHEN NEW.state NOT IN ('active','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: partner_relationships_state_check'); END;
CREATE TRIGGER partner_relationships_state_check_update BEFORE UPDATE OF state ON partner_relationships
WHEN NEW.state NOT IN ('active','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: partner_relationships_state_check'); END;

CREATE TRIGGER customer_requests_status_check_insert BEFORE INSERT ON customer_requests
WHEN NEW.status NOT IN ('pending','accepted','declined','revoked','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: customer_requests_status_check'); END;
CREATE TRIGGER customer_requests_status_check_update BEFORE UPDATE OF status ON customer_requests
WHEN NEW.status NOT IN ('pending','accepted','declined','revoked','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: customer_requests_status_check'); END;

CREATE TRIGGER customer_relationships_state_check_insert BEFORE INSERT ON customer_relationships
WHEN NEW.state NOT IN ('active','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: customer_relationships_state_check'); END;
CREATE TRIGGER customer_relationships_state_check_update BEFORE UPDATE OF state ON customer_relationships
WHEN NEW.state NOT IN ('active','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: customer_relationships_state_check'); END;

CREATE TRIGGER delegated_admin_relationships_status_check_insert BEFORE INSERT ON delegated_admin_relationships
WHEN NEW.status NOT IN ('active','expired','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: delegated_admin_relationships_status_check'); END;
CREATE TRIGGER delegated_admin_relationships_status_check_update BEFORE UPDATE OF status ON delegated_admin_relationships
WHEN NEW.status NOT IN ('active','expired','terminated')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: delegated_admin_relationships_status_check'); END;

CREATE TRIGGER orders_status_check_insert BEFORE INSERT ON orders
WHEN NEW.status NOT IN ('pending','completed','cancelled')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: orders_status_check'); END;
CREATE TRIGGER orders_status_check_update BEFORE UPDATE OF status ON orders
WHEN NEW.status NOT IN ('pending','completed','cancelled')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: orders_status_check'); END;

CREATE TRIGGER subscriptions_status_check_insert BEFORE INSERT ON subscriptions
WHEN NEW.status NOT IN ('active','suspended','cancelled','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_status_check'); END;
CREATE TRIGGER subscriptions_status_check_update BEFORE UPDATE OF status ON subscriptions
WHEN NEW.status NOT IN ('active','suspended','cancelled','expired')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: subscriptions_status_check'); END;

CREATE TRIGGER service_requests_status_check_insert BEFORE INSERT ON service_requests
WHEN NEW.status NOT IN ('open','attentionNeeded','closed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: service_requests_status_check'); END;
CREATE TRIGGER service_requests_status_check_update BEFORE UPDATE OF status ON service_requests
WHEN NEW.status NOT IN ('open','attentionNeeded','closed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: service_requests_status_check'); END;

CREATE TRIGGER service_incidents_status_check_insert BEFORE INSERT ON service_incidents
WHEN NEW.status NOT IN ('active','resolved')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: service_incidents_status_check'); END;
CREATE TRIGGER service_incidents_status_check_update BEFORE UPDATE OF status ON service_incidents
WHEN NEW.status NOT IN ('active','resolved')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: service_incidents_status_check'); END;

CREATE TRIGGER webhook_deliveries_status_check_insert BEFORE INSERT ON webhook_deliveries
WHEN NEW.status NOT IN ('pending','succeeded','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: webhook_deliveries_status_check'); END;
CREATE TRIGGER webhook_deliveries_status_check_update BEFORE UPDATE OF status ON webhook_deliveries
WHEN NEW.status NOT IN ('pending','succeeded','failed')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: webhook_deliveries_status_check'); END;

-- Rows written before this version: any outside its set aborts the migration.
UPDATE audit_records SET operation_status = operation_status WHERE operation_status NOT IN ('succeeded','failed');
UPDATE outbox SET status = status WHERE status NOT IN ('pending','sent','failed');
UPDATE idempotency_keys SET state = state WHERE state NOT IN ('inflight','done');
UPDATE offers SET status = status WHERE status NOT IN ('available','retired');
UPDATE organizations SET enrollment_status = enrollment_status WHERE enrollment_status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn');
UPDATE enrollments SET status = status WHERE status NOT IN ('draft','pendingVerification','pendingReview','approved','rejected','withdrawn');
UPDATE reseller_invitations SET status = status WHERE status NOT IN ('pending','accepted','declined','revoked','expired');
UPDATE partner_relationships SET state = state WHERE state NOT IN ('active','terminated');
UPDATE customer_requests SET status = status WHERE status NOT IN ('pending','accepted','declined','revoked','expired');
UPDATE customer_relationships SET state = state WHERE state NOT IN ('active','terminated');
UPDATE delegated_admin_relationships SET status = status WHERE status NOT IN ('active','expired','terminated');
UPDATE orders SET status = status WHERE status NOT IN ('pending','completed','cancelled');
UPDATE subscriptions SET status = status WHERE status NOT IN ('active','suspended','cancelled','expired');
UPDATE service_requests SET status = status WHERE status NOT IN ('open','attentionNeeded','closed');
UPDATE service_incidents SET status = status WHERE status NOT IN ('active','resolved');
UPDATE webhook_deliveries SET status = status WHERE status NOT IN ('pending','succeeded','failed');
