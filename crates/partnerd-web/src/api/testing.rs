//! The test clock's routes (API-billing.md §1.3), for black-box tests of terms,
//! renewals and windows. They answer 404 unless the server runs with
//! `--dev-mode --test-clock <instant>`.

use axum::Json;
use axum::extract::State;
use partnerd_app::commerce::JobCounts;
use partnerd_app::testing::{ClockMove, ClockReading};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{ApiBody, Auth};
use crate::problem::{ApiResult, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(clock, move_clock))
        .routes(routes!(run_jobs))
}

/// The test clock's now (operator Global admin; 404 without a test clock).
#[utoipa::path(get, path = "/v1/testing/clock", tag = "Testing", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("driveTestClock"))),
    responses((status = 200, body = ClockReading), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn clock(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<ClockReading>> {
    Ok(Json(s.app.test_clock(&p)?))
}

/// How to move the clock: exactly one member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockMoveRequest {
    /// 1 to 31 622 400 (366 days).
    pub advance_seconds: Option<i64>,
    /// An RFC 3339 instant, not before now.
    pub now: Option<String>,
}

/// Move the test clock forward; it then runs on at real speed. Background system
/// jobs do not run under a test clock: apply due events with `POST
/// /v1/testing/jobs/run` (commands on a subscription apply its own first).
#[utoipa::path(post, path = "/v1/testing/clock", tag = "Testing", security(("bearer" = [])),
    request_body = ClockMoveRequest, extensions(("x-partnerd-action" = json!("driveTestClock"))),
    responses((status = 200, body = ClockReading), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "conflict: the clock would move backwards", body = Problem),
        (status = 422, body = Problem)))]
pub async fn move_clock(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: ApiBody<ClockMoveRequest>,
) -> ApiResult<Json<ClockReading>> {
    let m = body.parse().map(|b| ClockMove {
        advance_seconds: b.advance_seconds,
        now: b.now,
    });
    Ok(Json(s.app.move_test_clock(&p, m)?))
}

/// Apply every due system event now and say how many of each kind were applied.
#[utoipa::path(post, path = "/v1/testing/jobs/run", tag = "Testing", security(("bearer" = [])),
    extensions(("x-partnerd-action" = json!("driveTestClock"))),
    responses((status = 200, body = JobCounts), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn run_jobs(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<JobCounts>> {
    Ok(Json(s.app.run_jobs_now(&p).await?))
}
