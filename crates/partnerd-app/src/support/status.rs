//! A request's status and assignee: the opener closes it, the operator sets any
//! status and assigns it, and a closed request opens again only by reopening.

use crate::error::Conflict;
use crate::filters::status_in;
use partnerd_domain::ids::ServiceRequestId;
use partnerd_domain::names::short_text;
use partnerd_domain::states::ServiceRequestStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::support::{self, RequestRow};

use super::ServiceRequest;
use super::requests::{is_operator, read_requests_action, request_view, updated_event};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// `PATCH /v1/servicerequests/{id}`.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestChanges {
    pub status: Option<String>,
    pub assigned_to: Option<String>,
}

impl App {
    /// `PATCH /v1/servicerequests/{id}`: the creator closes; the operator sets any
    /// status and the assignee. A closed request opens again only by `reopen`.
    pub async fn update_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
        if_match: Option<&str>,
        input: AppResult<ServiceRequestChanges>,
    ) -> AppResult<ServiceRequest> {
        let mut tx = self.db().begin().await?;
        let before = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(read_requests_action(p))?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let (status, assignee) = validate_changes(&input, operator)?;
        if before.status == ServiceRequestStatus::Closed
            && status.is_some_and(|s| s != ServiceRequestStatus::Closed)
        {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                "the request is closed; reopen it first",
            ));
        }
        let mut after = apply_changes(&before, status, assignee, self.now())?;
        crate::error::written(support::update_request(&mut tx, &after).await?)?;
        after.version += 1;
        if operator && after.status != before.status {
            self.mail_request_update(
                &mut tx,
                &after,
                &format!("Its status is now: {}.", after.status),
            )
            .await?;
        }
        let view = request_view(&after, None);
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(after.id.clone()),
            "updateServiceRequest",
        )
        .participant(&after.organization_id)
        .before(request_view(&before, None))
        .after(&view);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![updated_event(&after).with(&view)],
        )
        .await?;
        Ok(view)
    }

    /// `POST /v1/servicerequests/{id}/reopen`.
    pub async fn reopen_service_request(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &ServiceRequestId,
    ) -> AppResult<ServiceRequest> {
        let mut tx = self.db().begin().await?;
        let before = self.visible_service_request(&mut tx, p, id).await?;
        let operator = is_operator(p);
        p.require(read_requests_action(p))?;
        if before.status != ServiceRequestStatus::Closed {
            return Err(AppError::conflict(
                Conflict::InvalidState,
                format!(
                    "the request is {}; only a closed request reopens",
                    before.status
                ),
            ));
        }
        let mut after = before.clone();
        after.status = before.status.reopen()?;
        after.closed_at = None;
        after.last_modified_at = self.now();
        crate::error::written(support::update_request(&mut tx, &after).await?)?;
        after.version += 1;
        if operator {
            self.mail_request_update(&mut tx, &after, "It was reopened.")
                .await?;
        }
        let view = request_view(&after, None);
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceRequest",
            Some(after.id.clone()),
            "reopenServiceRequest",
        )
        .participant(&after.organization_id);
        self.commit_change(
            tx,
            ctx,
            self.now(),
            entry,
            vec![updated_event(&after).with(&view)],
        )
        .await?;
        Ok(view)
    }
}

/// Checks the changes: a known status and an assignee; only the operator assigns
/// or sets a status other than closed; at least one of the two is sent.
fn validate_changes(
    input: &ServiceRequestChanges,
    operator: bool,
) -> AppResult<(Option<ServiceRequestStatus>, Option<String>)> {
    let mut c = Collect::default();
    let status = input.status.as_deref().and_then(|s| {
        c.take(status_in("/status", Some(s), ServiceRequestStatus::ALL))
            .flatten()
    });
    if !operator {
        if input.assigned_to.is_some() {
            c.0.push(FieldError::invalid(
                "/assignedTo",
                "only the operator assigns requests",
            ));
        }
        if status.is_some_and(|s| s != ServiceRequestStatus::Closed) {
            c.0.push(FieldError::invalid(
                "/status",
                "you can close the request; the operator sets other statuses",
            ));
        }
    }
    let assignee = c.opt(input.assigned_to.as_deref(), |a| {
        short_text("/assignedTo", a, 200)
    });
    if status.is_none() && input.assigned_to.is_none() && c.is_empty() {
        c.0.push(FieldError::invalid("", "send status or assignedTo"));
    }
    if !c.is_empty() {
        return Err(AppError::validation(c.0));
    }
    Ok((status, assignee))
}

/// The request with the new status (a closed one with the time it closed) and
/// the new assignee, modified `now`.
fn apply_changes(
    before: &RequestRow,
    status: Option<ServiceRequestStatus>,
    assignee: Option<String>,
    now: Timestamp,
) -> AppResult<RequestRow> {
    let mut after = before.clone();
    if let Some(s) = status
        && s != before.status
    {
        after.status = before.status.move_to(s)?;
        after.closed_at =
            (s == ServiceRequestStatus::Closed).then_some(before.closed_at.unwrap_or(now));
    }
    if let Some(a) = assignee {
        after.assigned_to = Some(a);
    }
    after.last_modified_at = now;
    Ok(after)
}
