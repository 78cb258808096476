//! The test clock (API-billing.md §1.3): with `--dev-mode --test-clock <instant>`
//! the operator reads and moves the clock and runs the system jobs at once, so a
//! black-box test can cross a renewal without waiting a year. Without it these
//! use cases answer 404, as if they did not exist.

use partnerd_domain::FieldError;
use partnerd_domain::policy::Action;
use partnerd_domain::time::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::commerce::JobCounts;
use crate::error::{Conflict, Refusal};
use crate::{App, AppError, AppResult, Credential, Principal};
use partnerd_domain::Role;

/// The test clock's reading.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockReading {
    pub now: Timestamp,
}

/// `POST /v1/testing/clock`: exactly one of the two.
#[derive(Debug, Clone, Default)]
pub struct ClockMove {
    pub advance_seconds: Option<i64>,
    pub now: Option<String>,
}

/// The most one move may advance: 366 days.
pub const MAX_ADVANCE_SECONDS: i64 = 31_622_400;

impl App {
    fn test_clock_driver(&self, p: &Principal) -> AppResult<()> {
        // The policy is asked either way, so the route documents one action.
        let allowed = p.require(Action::DriveTestClock);
        if self.config().test_clock.is_none() {
            return Err(AppError::not_found());
        }
        allowed?;
        if matches!(p.credential, Credential::Session { .. })
            && !p.roles.contains(Role::GlobalAdmin)
        {
            return Err(AppError::forbidden(
                Refusal::Forbidden,
                "the operator's Global admins and API keys drive the test clock",
            ));
        }
        Ok(())
    }

    /// Whether the clock is a test clock (background system jobs then wait to be asked).
    pub fn has_test_clock(&self) -> bool {
        self.config().test_clock.is_some()
    }

    /// `GET /v1/testing/clock`.
    pub fn test_clock(&self, p: &Principal) -> AppResult<ClockReading> {
        self.test_clock_driver(p)?;
        Ok(ClockReading { now: self.now() })
    }

    /// `POST /v1/testing/clock`: forward only.
    pub fn move_test_clock(
        &self,
        p: &Principal,
        m: AppResult<ClockMove>,
    ) -> AppResult<ClockReading> {
        self.test_clock_driver(p)?;
        let m = m?;
        let to = match (m.advance_seconds, m.now.as_deref()) {
            (Some(s), None) => {
                if !(1..=MAX_ADVANCE_SECONDS).contains(&s) {
                    return Err(AppError::field(FieldError::invalid(
                        "/advanceSeconds",
                        format!("must be 1 to {MAX_ADVANCE_SECONDS} (366 days)"),
                    )));
                }
                self.now().plus_millis(s * Timestamp::SECOND)
            }
            (None, Some(raw)) => Timestamp::parse_rfc3339(raw).ok_or_else(|| {
                AppError::field(FieldError::invalid(
                    "/now",
                    "must be an RFC 3339 instant, e.g. 2027-03-03T00:00:00Z",
                ))
            })?,
            _ => {
                return Err(AppError::field(FieldError::invalid(
                    "",
                    "send exactly one of advanceSeconds and now",
                )));
            }
        };
        self.clock().set(to).map_err(|now| {
            AppError::conflict(
                Conflict::Concurrent,
                format!("the clock only moves forward; it reads {now}"),
            )
        })?;
        Ok(ClockReading { now: self.now() })
    }

    /// `POST /v1/testing/jobs/run`: every due system event, applied now.
    pub async fn run_jobs_now(&self, p: &Principal) -> AppResult<JobCounts> {
        self.test_clock_driver(p)?;
        let mut counts = self.run_system_events_once().await?;
        let (runs, issued) = self.run_billing_jobs_once().await?;
        counts.billing_runs += runs;
        counts.invoices_issued += issued;
        Ok(counts)
    }
}
