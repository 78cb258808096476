//! The request timers of API-platform.md §2.4 that run inside the router, both from
//! the end of the request headers (when the router is called): the body must arrive
//! within the body timeout (else 408 `request_timeout`), and the answer within the
//! request timeout (else the handler is dropped, so its transaction rolls back, and
//! the request answers 503). Both answers close the connection.
//!
//! The header-read and keep-alive timers belong to the connection, outside the
//! router, and are not served yet.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use partnerd_app::{AppError, Unacceptable};
use tokio::time::{Instant, Sleep};

use crate::AppState;

/// The error a request body gives once its time is up.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body was not received in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// Whether reading a body failed because its time was up, wherever in the chain of
/// causes (`to_bytes` and the extractors wrap body errors).
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The error a reader of a timed-out body answers with.
pub fn body_read_failed(e: &(dyn std::error::Error + 'static)) -> AppError {
    if is_body_timeout(e) {
        AppError::Unacceptable(Unacceptable::RequestTimeout)
    } else {
        AppError::Unacceptable(Unacceptable::PayloadTooLarge)
    }
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes.
struct TimedBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Runs both timers of one request.
pub async fn limit_time(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let config = s.app.config();
    let (parts, body) = req.into_parts();
    let body = TimedBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep_until(started + config.http_body_timeout)),
    };
    let req = Request::from_parts(parts, Body::new(body));
    let mut res =
        match tokio::time::timeout_at(started + config.http_request_timeout, next.run(req)).await {
            Ok(res) => res,
            Err(_) => crate::problem::problem_response(&AppError::unavailable(
                "the request took too long and was stopped; nothing it began was kept",
            )),
        };
    let timed_out = res.status() == StatusCode::REQUEST_TIMEOUT
        || (res.status() == StatusCode::SERVICE_UNAVAILABLE
            && started.elapsed() >= config.http_request_timeout);
    if timed_out {
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}
