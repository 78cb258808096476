//! The portal's home page: what needs the signed-in person's attention first.

use partnerd_domain::OrgKind;
use partnerd_domain::policy::Action;

use crate::paging::PageParams;
use crate::support::{IncidentFilters, ServiceIncident};
use crate::{App, AppError, AppResult, Principal};

/// What the dashboard shows besides the caller's own organisation and roles.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Up to five active incidents concerning the caller (none when its roles do
    /// not read service health).
    pub incidents: Vec<ServiceIncident>,
    /// The organisation is in no programme yet and the caller may continue its
    /// enrollment.
    pub enrolling: bool,
}

impl App {
    pub async fn dashboard(&self, p: &Principal) -> AppResult<Dashboard> {
        let incidents = match self
            .list_incidents(p, &IncidentFilters::default(), &PageParams::first(5))
            .await
        {
            Ok(page) => page.items,
            Err(AppError::Forbidden { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Dashboard {
            incidents,
            enrolling: p.organization.kind == OrgKind::None && p.may(Action::ManageEnrollment),
        })
    }
}
