//! The JSON API under `/v1`. Each resource module owns its `router()`.

pub mod apikeys;
pub mod attention;
pub mod auditrecords;
mod billing;
pub mod commerce;
pub mod connections;
pub mod customers;
pub mod enrollment;
mod invoices;
pub mod mail;
pub mod me;
pub mod offers;
pub mod organization;
pub mod organizations;
pub mod profiles;
pub mod providers;
pub mod registry;
pub mod sessions;
pub mod support;
pub mod testing;
pub mod users;
pub mod webhooks;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/v1` route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(sessions::router())
        .merge(me::router())
        .merge(attention::router())
        .merge(mail::router())
        .merge(apikeys::router())
        .merge(organization::router())
        .merge(organizations::router())
        .merge(users::router())
        .merge(offers::router())
        .merge(providers::router())
        .merge(enrollment::router())
        .merge(registry::router())
        .merge(profiles::router())
        .merge(connections::router())
        .merge(customers::router())
        .merge(commerce::router())
        .merge(billing::router())
        .merge(invoices::router())
        .merge(support::router())
        .merge(webhooks::router())
        .merge(auditrecords::router())
        .merge(testing::router())
}

/// `201 Created` with `Location` (and `ETag` when given).
pub fn created<T: Serialize>(location: String, etag: Option<&str>, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(tag) = etag {
        set_etag(&mut res, tag);
    }
    res
}

/// `200 OK` with the resource and its `ETag`.
pub fn ok_with_etag<T: Serialize>(etag: &str, body: T) -> Response {
    let mut res = Json(body).into_response();
    set_etag(&mut res, etag);
    res
}

fn set_etag(res: &mut Response, tag: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{tag}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
}

/// Paging parameters shared by every collection (API.md §1.1).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–500 (default 50).
    pub size: Option<i64>,
    /// The token from the previous page; send the same filters with it.
    pub continuation_token: Option<String>,
}

impl PageQuery {
    /// The paging members of a list's own query struct.
    pub fn of(
        size: Option<i64>,
        continuation_token: &Option<String>,
    ) -> partnerd_app::paging::PageParams {
        partnerd_app::paging::PageParams {
            size,
            continuation_token: continuation_token.clone(),
        }
    }

    pub fn params(&self) -> partnerd_app::paging::PageParams {
        Self::of(self.size, &self.continuation_token)
    }
}

/// A page of a collection.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    pub total_count: i64,
    pub items: Vec<T>,
    pub continuation_token: Option<String>,
}

/// A complete, unpaged collection (small, fixed lists such as permissions).
pub fn whole<T: Serialize>(items: Vec<T>) -> Collection<T> {
    Collection {
        total_count: items.len() as i64,
        items,
        continuation_token: None,
    }
}
