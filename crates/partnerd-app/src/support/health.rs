//! Service health as each organisation sees it: the incidents of the product
//! families it or its customers hold (and, for an indirect provider, those it
//! offers); the operator sees them all.

use partnerd_domain::ids::IncidentId;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::{OrgKind, Program};
use partnerd_domain::states::ServiceIncidentStatus;
use partnerd_domain::time::Timestamp;
use partnerd_domain::{Collect, FieldError};
use partnerd_store::support::{self, IncidentQuery, IncidentRow, IncidentUpdateRow};
use partnerd_store::{Conn, providers};

use super::{IncidentUpdate, ServiceIncident};
use crate::crypto::etag;
use crate::paging::{self, Page, PageParams};
use crate::{App, AppError, AppResult, Principal};

/// Filters of `GET /v1/serviceincidents`.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilters {
    /// `active` (default), `resolved`, `all`.
    pub status: Option<String>,
    pub product_family: Option<String>,
    pub since: Option<String>,
}

/// An incident as the API shows it, with its updates on a single incident's read.
pub(super) fn incident_view(
    i: &IncidentRow,
    updates: Option<Vec<IncidentUpdateRow>>,
) -> ServiceIncident {
    ServiceIncident {
        id: i.id.clone(),
        title: i.title.clone(),
        product_families: i
            .product_families
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        severity: i.severity.clone(),
        status: i.status,
        message: i.message.clone(),
        started_at: i.started_at,
        resolved_at: i.resolved_at,
        created_at: i.created_at,
        updated_at: i.updated_at,
        etag: etag(&i.id, i.version),
        updates: updates.map(|us| {
            us.into_iter()
                .map(|u| IncidentUpdate {
                    id: u.id,
                    message: u.message,
                    posted_at: u.posted_at,
                })
                .collect()
        }),
    }
}

impl App {
    /// The product families whose incidents concern the caller (None: all of them).
    async fn relevant_families(
        &self,
        conn: &mut Conn,
        p: &Principal,
    ) -> AppResult<Option<Vec<String>>> {
        Ok(match p.organization.kind {
            OrgKind::Operator => None,
            OrgKind::None => Some(Vec::new()),
            OrgKind::Customer => Some(support::families_held(conn, &p.organization.id).await?),
            OrgKind::Partner => {
                let mut families = Vec::new();
                if !p.organization.programs.is_empty() {
                    families = support::families_held(conn, &p.organization.id).await?;
                }
                if p.organization.programs.contains(&Program::IndirectProvider)
                    && let Some(a) = providers::get(conn, &p.organization.id).await?
                {
                    families.extend(
                        a.product_families
                            .split(',')
                            .filter(|f| !f.is_empty())
                            .map(str::to_owned),
                    );
                }
                families.sort();
                families.dedup();
                Some(families)
            }
        })
    }

    /// `GET /v1/serviceincidents`: the incidents relevant to the caller.
    pub async fn list_incidents(
        &self,
        p: &Principal,
        f: &IncidentFilters,
        page: &PageParams,
    ) -> AppResult<Page<ServiceIncident>> {
        p.require(Action::ReadServiceHealth)?;
        let mut c = Collect::default();
        let status = match f.status.as_deref() {
            None | Some("active") => Some(ServiceIncidentStatus::Active),
            Some("resolved") => Some(ServiceIncidentStatus::Resolved),
            Some("all") => None,
            Some(_) => {
                c.0.push(FieldError::invalid(
                    "/query/status",
                    "must be active, resolved or all",
                ));
                None
            }
        };
        let since = f.since.as_deref().and_then(|s| {
            c.take(
                Timestamp::parse_rfc3339(s)
                    .ok_or_else(|| FieldError::invalid("/query/since", "must be an RFC 3339 time")),
            )
        });
        if !c.is_empty() {
            return Err(AppError::validation(c.0));
        }
        let mut conn = self.db().conn().await?;
        let mut families = self.relevant_families(&mut conn, p).await?;
        if let Some(fam) = &f.product_family {
            families = Some(match families {
                None => vec![fam.clone()],
                Some(v) => v.into_iter().filter(|x| x == fam).collect(),
            });
        }
        let now = self.now();
        let start = paging::start(page, &format!("incidents{f:?}"), now)?;
        let q = IncidentQuery {
            status,
            families,
            since,
        };
        let rows = support::list_incidents(&mut conn, &q, &start.request).await?;
        Ok(start.finish(
            rows,
            now,
            |i| (i.created_at, i.id.to_string()),
            |i| incident_view(&i, None),
        ))
    }

    /// `GET /v1/serviceincidents/{id}` with its updates; 404 when not relevant.
    pub async fn get_incident(&self, p: &Principal, id: &IncidentId) -> AppResult<ServiceIncident> {
        p.require(Action::ReadServiceHealth)?;
        let mut conn = self.db().conn().await?;
        let i = support::get_incident(&mut conn, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        if let Some(families) = self.relevant_families(&mut conn, p).await?
            && !i
                .product_families
                .split(',')
                .any(|f| families.iter().any(|x| x == f))
        {
            return Err(AppError::not_found());
        }
        let updates = support::incident_updates(&mut conn, &i.id).await?;
        Ok(incident_view(&i, Some(updates)))
    }
}
