//! Service requests (API.md §11.1) — about a customer (admin and helpdesk agents of
//! a related partner) or about partnerd itself (global admins) — worked by the
//! operator; and service health (§11.2): incidents per product family, shown to
//! those whose customers hold the family.
//!
//! This file holds what the API shows; each capability has its own file:
//!
//! - `requests.rs`: opening a service request and reading them;
//! - `request_list.rs`: the portal's list of them, and its form to open one;
//! - `status.rs`: closing, assigning and reopening a request;
//! - `notes.rs`: notes on a request;
//! - `health.rs`: the incidents that concern the caller;
//! - `incidents.rs`: the operator reporting incidents and posting their updates.

mod health;
mod incidents;
mod notes;
mod request_list;
mod requests;
mod status;

use partnerd_domain::ids::{
    IncidentId, IncidentUpdateId, OrgId, ServiceRequestId, ServiceRequestNoteId, UserId,
};
use partnerd_domain::states::{ServiceIncidentStatus, ServiceRequestStatus};
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

pub use health::IncidentFilters;
pub use incidents::{IncidentAction, IncidentChanges, IncidentInput};
pub use request_list::{ServiceRequestForm, ServiceRequestList, ServiceRequestOpened};
pub use requests::{ServiceRequestFilters, ServiceRequestInput};
pub use status::ServiceRequestChanges;

/// A stored time (milliseconds) as the API writes it.
/// Who opened a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryContact {
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    pub email: Option<String>,
}

/// Who wrote a note.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteAuthor {
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    pub name: String,
}

/// A note on a service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[schema(value_type = String)]
    pub id: ServiceRequestNoteId,
    pub text: String,
    pub author: NoteAuthor,
    pub created_at: Timestamp,
}

/// A service request.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    #[schema(value_type = String)]
    pub id: ServiceRequestId,
    #[schema(value_type = String)]
    pub organization_id: OrgId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<OrgId>,
    /// `customer` or `partner`.
    pub scope: String,
    pub title: String,
    pub description: String,
    /// `minimal`, `moderate`, `critical`.
    pub severity: String,
    /// `billing`, `technical`, `account`, `other`.
    pub category: String,
    pub product_family: Option<String>,
    /// `open`, `attentionNeeded`, `closed`.
    pub status: ServiceRequestStatus,
    pub primary_contact: PrimaryContact,
    pub assigned_to: Option<String>,
    pub created_at: Timestamp,
    pub last_modified_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub etag: String,
    /// On a single request's read only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<Note>>,
}

/// An update on an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentUpdate {
    #[schema(value_type = String)]
    pub id: IncidentUpdateId,
    pub message: String,
    pub posted_at: Timestamp,
}

/// A service-health incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceIncident {
    #[schema(value_type = String)]
    pub id: IncidentId,
    pub title: String,
    pub product_families: Vec<String>,
    /// `informational`, `warning`, `critical`.
    pub severity: String,
    /// `active` or `resolved`.
    pub status: ServiceIncidentStatus,
    pub message: String,
    pub started_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub etag: String,
    /// On a single incident's read only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<IncidentUpdate>>,
}

/// `v` when it is one of `allowed`; otherwise an error at `pointer`, kept in `c`.
fn one_of(c: &mut Collect, pointer: &str, v: &str, allowed: &[&str]) -> Option<String> {
    if allowed.contains(&v) {
        Some(v.to_owned())
    } else {
        c.0.push(FieldError::invalid(
            pointer,
            format!("must be one of {}", allowed.join(", ")),
        ));
        None
    }
}
