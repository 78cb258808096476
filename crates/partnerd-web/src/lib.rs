//! partnerd's HTTP face: the JSON API under `/v1`, the portal pages, and the
//! operational endpoints, on one axum router.
//!
//! A request passes, outermost first: the security headers of every response
//! ([`headers`]) → request id → metrics → (API only) error
//! normalisation → authentication and rate limit → idempotency → handler. Handlers
//! extract, call one use case on [`partnerd_app::App`], and render.

pub mod api;
mod authn;
pub mod context;
pub mod extract;
pub mod headers;
mod idempotency;
pub mod openapi;
mod ops;
pub mod pages;
pub mod problem;
pub mod timeouts;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use partnerd_app::App;
use utoipa::OpenApi;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Set when shutdown begins: `/readyz` answers 503 from then on, and every
    /// response says `Connection: close`.
    pub draining: Arc<AtomicBool>,
    /// Turns true when the shutdown deadline passes: handlers still running are
    /// dropped (API-platform.md §2.5).
    deadline: Arc<tokio::sync::watch::Sender<bool>>,
    openapi: Arc<String>,
}

impl AppState {
    pub fn new(app: App) -> Self {
        let (_, doc) = api::router().split_for_parts();
        let mut full = openapi::ApiDoc::openapi();
        full.merge(doc);
        let doc = openapi::document(full);
        let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
        Self {
            app,
            draining: Arc::new(AtomicBool::new(false)),
            deadline: Arc::new(tokio::sync::watch::Sender::new(false)),
            openapi: Arc::new(json),
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// The shutdown deadline passed: drop the handlers still running.
    pub fn pass_deadline(&self) {
        self.deadline.send_replace(true);
    }
}

/// While draining, every response closes its connection (kept-alive clients
/// reconnect, to another replica once the balancer has seen `/readyz`); past the
/// shutdown deadline a handler still running is dropped, so its transaction rolls
/// back, and the request answers 503.
async fn drain_guard(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: Request,
    next: middleware::Next,
) -> Response {
    let mut deadline = s.deadline.subscribe();
    let mut res = tokio::select! {
        res = next.run(req) => res,
        _ = deadline.wait_for(|passed| *passed) => problem::problem_response(
            &partnerd_app::AppError::unavailable("the server stopped before the request finished"),
        ),
    };
    if s.is_draining() {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

async fn openapi_json(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    let mut res = s.openapi.as_str().to_owned().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if path == "/v1" || path.starts_with("/v1/") {
        ops::api_not_found().await
    } else {
        pages::not_found().await
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let (api, _) = api::router().split_for_parts();
    let api = api
        .route("/v1/openapi.json", get(openapi_json))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            authn::authenticate,
        ))
        .layer(middleware::from_fn(ops::normalize_api_errors));
    let ops_routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    let public_url = state.app.config().public_url.clone();
    let router = Router::new()
        .merge(api)
        .merge(ops_routes)
        .merge(pages::router(state.clone()))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ops::policy_trace,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), ops::measure))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            timeouts::limit_time,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), drain_guard))
        .layer(middleware::from_fn(context::request_id));
    headers::secure(router, &public_url).with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
