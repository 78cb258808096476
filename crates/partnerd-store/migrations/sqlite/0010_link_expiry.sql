-- The link expiry job looks for pending invitations and requests past their expiry.
CREATE INDEX reseller_invitations_expiry_idx ON reseller_invitations (status, expires_at);
CREATE INDEX customer_requests_expiry_idx ON customer_requests (status, expires_at);
