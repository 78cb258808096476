//! The operator reporting service health: opening an incident, changing or
//! resolving it, and posting updates on it; each change is sent to every
//! organisation the incident concerns.

use crate::filters::status_in;
use partnerd_domain::ids::{IncidentId, IncidentUpdateId, OrgId};
use partnerd_domain::names::{long_text, short_text};
use partnerd_domain::policy::Action;
use partnerd_domain::states::ServiceIncidentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::Conn;
use partnerd_store::support::{self, IncidentRow, IncidentUpdateRow};

use super::health::incident_view;
use super::{IncidentUpdate, ServiceIncident, one_of};
use crate::audit::{Actor, Entry};
use crate::crypto::etag;
use crate::error::check_if_match;
use crate::events::Event;
use crate::{App, AppError, AppResult, Ctx, Principal};

/// `POST /v1/serviceincidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentInput {
    pub title: String,
    pub product_families: Vec<String>,
    pub severity: String,
    pub message: String,
    pub started_at: Option<String>,
}

/// `PATCH /v1/serviceincidents/{id}`.
#[derive(Debug, Clone, Default)]
pub struct IncidentChanges {
    pub title: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub resolved_at: Option<String>,
}

/// What the operator does from an incident's page.
#[derive(Debug, Clone)]
pub enum IncidentAction {
    /// Resolve it, then post `message` as its last update when there is one.
    Resolve { message: Option<String> },
    /// Post an update.
    PostUpdate { message: String },
}

impl App {
    /// The incident page's form: resolving (with a closing update) or posting an
    /// update. A closing update is posted only once the incident is resolved.
    pub async fn act_on_incident(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &IncidentId,
        if_match: Option<&str>,
        action: IncidentAction,
    ) -> AppResult<()> {
        match action {
            IncidentAction::Resolve { message } => {
                let changes = IncidentChanges {
                    status: Some("resolved".into()),
                    ..Default::default()
                };
                self.update_incident(p, ctx, id, if_match, Ok(changes))
                    .await?;
                if let Some(text) = message {
                    self.post_incident_update(p, ctx, id, Ok(text)).await?;
                }
            }
            IncidentAction::PostUpdate { message } => {
                self.post_incident_update(p, ctx, id, Ok(message)).await?;
            }
        }
        Ok(())
    }

    /// `POST /v1/serviceincidents` (the operator's GA and agents).
    pub async fn create_incident(
        &self,
        p: &Principal,
        ctx: &Ctx,
        input: AppResult<IncidentInput>,
    ) -> AppResult<ServiceIncident> {
        p.require(Action::ManageServiceIncidents)?;
        let input = input?;
        let row = new_incident_row(&input, self.now())?;
        let mut tx = self.db().begin().await?;
        support::insert_incident(&mut tx, &row).await?;
        let view = incident_view(&row, Some(Vec::new()));
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(row.id.clone()),
            "createServiceIncident",
        )
        .after(&view);
        let audience = incident_audience(&mut tx, &row).await?;
        let created = incident_event("serviceIncident.created", &row, &audience).with(&view);
        self.commit_change(tx, ctx, self.now(), entry, vec![created])
            .await?;
        Ok(view)
    }

    /// `PATCH /v1/serviceincidents/{id}`.
    pub async fn update_incident(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &IncidentId,
        if_match: Option<&str>,
        input: AppResult<IncidentChanges>,
    ) -> AppResult<ServiceIncident> {
        p.require(Action::ManageServiceIncidents)?;
        let mut tx = self.db().begin().await?;
        let before = support::get_incident(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        check_if_match(&etag(&before.id, before.version), if_match, false)?;
        let input = input?;
        let mut after = apply_changes(&before, &input, self.now())?;
        crate::error::written(support::update_incident(&mut tx, &after).await?)?;
        after.version += 1;
        let updates = support::incident_updates(&mut tx, &after.id).await?;
        let view = incident_view(&after, Some(updates));
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(after.id.clone()),
            "updateServiceIncident",
        )
        .before(incident_view(&before, None))
        .after(&view);
        let audience = incident_audience(&mut tx, &after).await?;
        let updated = incident_event("serviceIncident.updated", &after, &audience).with(&view);
        self.commit_change(tx, ctx, self.now(), entry, vec![updated])
            .await?;
        Ok(view)
    }

    /// `POST /v1/serviceincidents/{id}/updates`.
    pub async fn post_incident_update(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: &IncidentId,
        message: AppResult<String>,
    ) -> AppResult<IncidentUpdate> {
        p.require(Action::ManageServiceIncidents)?;
        let mut tx = self.db().begin().await?;
        let i = support::get_incident(&mut tx, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        let message = long_text("/message", &message?, 10_000)?
            .ok_or_else(|| AppError::field(FieldError::invalid("/message", "must not be empty")))?;
        let now = self.now();
        let u = IncidentUpdateRow {
            id: IncidentUpdateId::generate(),
            incident_id: i.id.clone(),
            message,
            posted_at: now,
        };
        support::insert_incident_update(&mut tx, &u).await?;
        let mut touched = i.clone();
        touched.updated_at = now;
        crate::error::written(support::update_incident(&mut tx, &touched).await?)?;
        let entry = Entry::new(
            Actor::Principal(p),
            "serviceIncident",
            Some(i.id.clone()),
            "postServiceIncidentUpdate",
        );
        touched.version += 1;
        let updates = support::incident_updates(&mut tx, &touched.id).await?;
        let view = incident_view(&touched, Some(updates));
        let audience = incident_audience(&mut tx, &touched).await?;
        let updated = incident_event("serviceIncident.updated", &touched, &audience).with(&view);
        self.commit_change(tx, ctx, now, entry, vec![updated])
            .await?;
        Ok(IncidentUpdate {
            id: u.id,
            message: u.message,
            posted_at: u.posted_at,
        })
    }
}

/// Checks a new incident and gives it as a row, active and started `now` unless
/// it says otherwise.
fn new_incident_row(input: &IncidentInput, now: Timestamp) -> AppResult<IncidentRow> {
    let mut c = Collect::default();
    let title = c.take(short_text("/title", &input.title, 200));
    let severity = one_of(
        &mut c,
        "/severity",
        &input.severity,
        &["informational", "warning", "critical"],
    );
    let message = c
        .take(long_text("/message", &input.message, 10_000))
        .flatten();
    if message.is_none() && c.is_empty() {
        c.0.push(FieldError::invalid("/message", "must not be empty"));
    }
    let families = product_families(&mut c, &input.product_families);
    let started = match &input.started_at {
        Some(s) => c.take(
            Timestamp::parse_rfc3339(s)
                .ok_or_else(|| FieldError::invalid("/startedAt", "must be an RFC 3339 time")),
        ),
        None => Some(now),
    };
    let (Some(title), Some(severity), Some(message), Some(started), true) =
        (title, severity, message, started, c.is_empty())
    else {
        return Err(AppError::validation(c.0));
    };
    Ok(IncidentRow {
        id: IncidentId::generate(),
        title,
        product_families: families.join(","),
        severity,
        status: ServiceIncidentStatus::Active,
        message,
        started_at: started,
        resolved_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// The incident's product families, each once; at least one, and none with a
/// comma (they are stored comma separated).
fn product_families(c: &mut Collect, input: &[String]) -> Vec<String> {
    let mut families = Vec::new();
    for (i, f) in input.iter().enumerate() {
        if let Some(f) = c.take(short_text(&format!("/productFamilies/{i}"), f, 200)) {
            if f.contains(',') {
                c.0.push(FieldError::invalid(
                    format!("/productFamilies/{i}"),
                    "must not contain commas",
                ));
            } else if !families.contains(&f) {
                families.push(f);
            }
        }
    }
    if families.is_empty() {
        c.0.push(FieldError::invalid(
            "/productFamilies",
            "name at least one product family",
        ));
    }
    families
}

/// The incident with the changes applied and checked, updated `now`: resolving
/// it sets the time it was resolved, which `resolvedAt` may correct.
fn apply_changes(
    before: &IncidentRow,
    input: &IncidentChanges,
    now: Timestamp,
) -> AppResult<IncidentRow> {
    let mut c = Collect::default();
    let mut after = before.clone();
    if let Some(t) = input
        .title
        .as_deref()
        .and_then(|t| c.take(short_text("/title", t, 200)))
    {
        after.title = t;
    }
    if let Some(s) = input.severity.as_deref().and_then(|s| {
        one_of(
            &mut c,
            "/severity",
            s,
            &["informational", "warning", "critical"],
        )
    }) {
        after.severity = s;
    }
    if let Some(s) = input.status.as_deref().and_then(|s| {
        c.take(status_in("/status", Some(s), ServiceIncidentStatus::ALL))
            .flatten()
    }) {
        after.resolved_at =
            (s == ServiceIncidentStatus::Resolved).then_some(before.resolved_at.unwrap_or(now));
        if s != before.status {
            after.status = before.status.move_to(s)?;
        }
    }
    if let Some(r) = &input.resolved_at {
        match Timestamp::parse_rfc3339(r) {
            Some(t) if after.status == ServiceIncidentStatus::Resolved => {
                after.resolved_at = Some(t)
            }
            Some(_) => c.0.push(FieldError::invalid(
                "/resolvedAt",
                "only with status resolved",
            )),
            None => c.0.push(FieldError::invalid(
                "/resolvedAt",
                "must be an RFC 3339 time",
            )),
        }
    }
    if !c.is_empty() {
        return Err(AppError::validation(c.0));
    }
    after.updated_at = now;
    Ok(after)
}

/// Every organisation an incident concerns: those with a product family it names.
async fn incident_audience(conn: &mut Conn, i: &IncidentRow) -> AppResult<Vec<OrgId>> {
    let families: Vec<String> = i.product_families.split(',').map(str::to_owned).collect();
    Ok(support::incident_participants(conn, &families).await?)
}

/// `event_type` for an incident, to `audience`.
fn incident_event<'a>(event_type: &'a str, i: &'a IncidentRow, audience: &'a [OrgId]) -> Event<'a> {
    Event {
        event_type,
        resource_type: "serviceIncident",
        resource_id: &i.id,
        resource_url: crate::urls::incident(&i.id),
        participants: audience.iter().map(|o| o.as_str()).collect(),
    }
}
