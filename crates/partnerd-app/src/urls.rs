//! Where each resource lives in the API: the one place that knows the paths the
//! `Location` of a created resource and the `resourceUrl` of an event name.

use partnerd_domain::ids::{
    ApiKeyId, DelegatedAdminId, EnrollmentId, IncidentId, IncidentUpdateId, OrderId, OrgId,
    OutboxId, RegistryAccountId, RelationshipRequestId, ResellerInvitationId,
    ResellerRelationshipId, ServiceRequestId, ServiceRequestNoteId, SubscriptionId, UserId,
    WebhookId,
};

pub fn api_key(id: &ApiKeyId) -> String {
    format!("/v1/apikeys/{id}")
}

pub fn user(id: &UserId) -> String {
    format!("/v1/users/{id}")
}

pub fn organization(id: &OrgId) -> String {
    format!("/v1/organizations/{id}")
}

pub fn enrollment(id: &EnrollmentId) -> String {
    format!("/v1/enrollments/{id}")
}

pub fn reseller_invitation(id: &ResellerInvitationId) -> String {
    format!("/v1/resellerinvitations/{id}")
}

pub fn relationship(id: &ResellerRelationshipId) -> String {
    format!("/v1/relationships/{id}")
}

pub fn credit_limit(relationship: &ResellerRelationshipId) -> String {
    format!("/v1/relationships/{relationship}/creditlimit")
}

pub fn relationship_request(id: &RelationshipRequestId) -> String {
    format!("/v1/customers/relationshiprequests/{id}")
}

pub fn customer(id: &OrgId) -> String {
    format!("/v1/customers/{id}")
}

pub fn customer_user(customer: &OrgId, id: &UserId) -> String {
    format!("/v1/customers/{customer}/users/{id}")
}

pub fn user_licenses(customer: &OrgId, user: &UserId) -> String {
    format!("/v1/customers/{customer}/users/{user}/licenses")
}

pub fn delegated_admin(id: &DelegatedAdminId) -> String {
    format!("/v1/delegatedadminrelationships/{id}")
}

pub fn order(customer: &OrgId, id: &OrderId) -> String {
    format!("/v1/customers/{customer}/orders/{id}")
}

pub fn subscription(customer: &OrgId, id: &SubscriptionId) -> String {
    format!("/v1/customers/{customer}/subscriptions/{id}")
}

pub fn offer(id: &str) -> String {
    format!("/v1/offers/{id}")
}

pub fn membership(id: &str) -> String {
    format!("/v1/registry/memberships/{id}")
}

pub fn registry_account(id: &RegistryAccountId) -> String {
    format!("/v1/registry/accounts/{id}")
}

pub fn service_request(id: &ServiceRequestId) -> String {
    format!("/v1/servicerequests/{id}")
}

pub fn service_request_note(request: &ServiceRequestId, id: &ServiceRequestNoteId) -> String {
    format!("/v1/servicerequests/{request}/notes/{id}")
}

pub fn incident(id: &IncidentId) -> String {
    format!("/v1/serviceincidents/{id}")
}

pub fn incident_update(incident: &IncidentId, id: &IncidentUpdateId) -> String {
    format!("/v1/serviceincidents/{incident}/updates/{id}")
}

pub fn mail(id: &OutboxId) -> String {
    format!("/v1/mail/{id}")
}

pub fn webhook(id: &WebhookId) -> String {
    format!("/v1/webhooks/{id}")
}

pub fn repricing_config(id: &str) -> String {
    format!("/v1/repricingconfigs/{id}")
}

pub fn billing_run(id: &str) -> String {
    format!("/v1/billingruns/{id}")
}

pub fn invoice(id: &str) -> String {
    format!("/v1/invoices/{id}")
}

pub fn payment(invoice: &str, id: &str) -> String {
    format!("/v1/invoices/{invoice}/payments/{id}")
}

pub fn charge_line(id: &str) -> String {
    format!("/v1/chargelines/{id}")
}
