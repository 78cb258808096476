//! Notes on a service request: the opener's side and the operator write them while
//! the request is open; the operator's notes are mailed to the primary contact.

use crate::error::Conflict;
use partnerd_domain::FieldError;
use partnerd_domain::ids::{ServiceRequestId, ServiceRequestNoteId};
use partnerd_domain::names::long_text;
use partnerd_domain::policy::Action;
use partnerd_domain::states::ServiceRequestStatus;
use partnerd_domain::time::Timestamp;
use partnerd_store::support::{self, NoteRow, RequestRow};

use super::requests::{is_operator, updated_event};
use super::{Note, NoteAuthor};
use crate::audit::{Actor, Entry};
use crate::{App, AppError, AppResult, Ctx, Principal};

/// A note as the API shows it.
pub(super) fn note_view(n: NoteRow) -> Note {
    Note {
        id: n.id,
        text: n.text,
        author: NoteAuthor {
            user_id: n.author_user_id,
            organization_id: n.author_organization_id,
            name: n.author_name,
        },
        created_at: n.created_at,
    }
}

impl App {
    /// `POST /v1/servicerequests/{id}/notes`.
    pub async fn add_service_request_note(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
        text: AppResult<String>,
    ) -> AppResult<Note> {
        let mut tx = self.db().begin().await?;
        let r = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(note_action(operator, &r))?;
        let text = long_text("/text", &text?, 10_000)?
            .ok_or_else(|| AppError::field(FieldError::invalid("/text", "must not be empty")))?;
        if r.status == ServiceRequestStatus::Closed {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the request is closed; reopen it to add a note",
            ));
        }
        let now = self.now();
        let note = new_note_row(p, &r, text, now);
        support::insert_note(&mut tx, &note).await?;
        let mut touched = r.clone();
        touched.last_modified_at = now;
        crate::error::written(support::update_request(&mut tx, &touched).await?)?;
        if operator {
            self.mail_request_update(&mut tx, &r, &format!("A note was added:\n\n{}", note.text))
                .await?;
        }
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(r.id.clone()),
            "addServiceRequestNote",
        )
        .participant(&r.organization_id);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![updated_event(&r).with(&serde_json::json!({"noteId": note.id}))],
        )
        .await?;
        Ok(note_view(note))
    }
}

/// The action that lets the caller write on the request: the operator handles
/// requests; others write on their customer or partner requests.
fn note_action(operator: bool, r: &RequestRow) -> Action {
    if operator {
        Action::HandleServiceRequests
    } else if r.scope == "customer" {
        Action::CustomerServiceRequests
    } else {
        Action::PartnerServiceRequests
    }
}

/// A new note by the caller, signed with their name, or their organisation's for
/// an API key.
fn new_note_row(p: &Principal, r: &RequestRow, text: String, now: Timestamp) -> NoteRow {
    NoteRow {
        id: ServiceRequestNoteId::generate(),
        request_id: r.id.clone(),
        text,
        author_user_id: p.user.as_ref().map(|u| u.id.clone()),
        author_organization_id: p.organization.id.clone(),
        author_name: p
            .user
            .as_ref()
            .map(|u| u.display_name())
            .unwrap_or_else(|| p.organization.name.clone()),
        created_at: now,
    }
}
