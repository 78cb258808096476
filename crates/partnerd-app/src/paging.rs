//! Collections (API.md §1.1): `size`, opaque continuation tokens bound to the
//! filters they were issued for, and `totalCount` taken on the first page.

use base64::Engine;
use partnerd_domain::FieldError;
use partnerd_domain::time::Timestamp;
use partnerd_store::sql::{Cursor, PageOf, PageRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

pub const DEFAULT_SIZE: i64 = 50;
pub const MAX_SIZE: i64 = 500;
const TOKEN_TTL_MS: i64 = 24 * Timestamp::HOUR;

/// What the client asked for.
#[derive(Debug, Clone, Default)]
pub struct PageParams {
    pub size: Option<i64>,
    pub continuation_token: Option<String>,
}

impl PageParams {
    /// The first `size` items (pages that show a bounded list at once).
    pub fn first(size: i64) -> Self {
        Self {
            size: Some(size),
            continuation_token: None,
        }
    }
}

/// A page of a collection, as every list endpoint returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub total_count: i64,
    pub items: Vec<T>,
    pub continuation_token: Option<String>,
}

/// The token's wire form: times as epoch milliseconds, so tokens issued before
/// stay readable.
#[derive(Serialize, Deserialize)]
struct Token {
    /// Sort key of the last item.
    a: i64,
    /// Id of the last item.
    i: String,
    /// Text sort key of the last item (lists sorted by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    /// Fingerprint of the filters.
    f: String,
    /// Issued at.
    t: i64,
    /// Total count from the first page.
    n: i64,
}

fn fingerprint(filters: &str) -> String {
    hex::encode(&Sha256::digest(filters.as_bytes())[..8])
}

fn bad_token(msg: &str) -> AppError {
    AppError::field(FieldError::invalid("/query/continuationToken", msg))
}

/// Where to read from, and the total when it is already known.
pub struct Start {
    pub request: PageRequest,
    known_total: Option<i64>,
    fingerprint: String,
}

/// `(offset, size)` of a list paged by position (short lists whose order is not
/// a single key: price lists, billing runs, an invoice's lines). The token is the
/// offset of the next page.
pub fn by_offset(params: &PageParams) -> AppResult<(i64, i64)> {
    let size = params.size.unwrap_or(DEFAULT_SIZE);
    if !(1..=MAX_SIZE).contains(&size) {
        return Err(AppError::field(FieldError::invalid(
            "/query/size",
            "must be between 1 and 500",
        )));
    }
    let offset = match params.continuation_token.as_deref() {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|o| *o > 0)
            .ok_or_else(|| bad_token("is not a token this server issued"))?,
    };
    Ok((offset, size))
}

/// Checks the parameters. `filters` is a canonical text of every filter in effect.
pub fn start(params: &PageParams, filters: &str, now: Timestamp) -> AppResult<Start> {
    let size = params.size.unwrap_or(DEFAULT_SIZE);
    if !(1..=MAX_SIZE).contains(&size) {
        return Err(AppError::field(FieldError::invalid(
            "/query/size",
            "must be between 1 and 500",
        )));
    }
    let fp = fingerprint(filters);
    let Some(raw) = params.continuation_token.as_deref() else {
        return Ok(Start {
            request: PageRequest {
                cursor: None,
                size,
                count: true,
            },
            known_total: None,
            fingerprint: fp,
        });
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| bad_token("is not a token this server issued"))?;
    let token: Token = serde_json::from_slice(&bytes)
        .map_err(|_| bad_token("is not a token this server issued"))?;
    if token.f != fp {
        return Err(bad_token(
            "was issued for other filters; send the same filters as for the first page",
        ));
    }
    if Timestamp(token.t) < now.minus_millis(TOKEN_TTL_MS) {
        return Err(bad_token(
            "is older than 24 hours; start again from the first page",
        ));
    }
    Ok(Start {
        request: PageRequest {
            cursor: Some(Cursor {
                at: Timestamp(token.a),
                text: token.s,
                id: token.i,
            }),
            size,
            count: false,
        },
        known_total: Some(token.n),
        fingerprint: fp,
    })
}

impl Start {
    /// Builds the page of a newest-first list; `key` gives the time and id of a row.
    pub fn finish<R, T, K: Into<String>>(
        self,
        page: PageOf<R>,
        now: Timestamp,
        key: impl Fn(&R) -> (Timestamp, K),
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        self.build(
            page,
            now,
            |r| {
                let (a, i) = key(r);
                (a.millis(), None, i.into())
            },
            view,
        )
    }

    /// Builds the page of a list sorted by a text key; `key` gives the text and id.
    pub fn finish_by_text<R, T, K: Into<String>>(
        self,
        page: PageOf<R>,
        now: Timestamp,
        key: impl Fn(&R) -> (String, K),
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        self.build(
            page,
            now,
            |r| {
                let (s, i) = key(r);
                (0, Some(s), i.into())
            },
            view,
        )
    }

    fn build<R, T>(
        self,
        page: PageOf<R>,
        now: Timestamp,
        key: impl Fn(&R) -> (i64, Option<String>, String),
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        let total = page.total.or(self.known_total).unwrap_or(0);
        let token = if page.more {
            page.rows.last().map(|last| {
                let (a, s, i) = key(last);
                let t = Token {
                    a,
                    i,
                    s,
                    f: self.fingerprint.clone(),
                    t: now.millis(),
                    n: total,
                };
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(&t).unwrap_or_default())
            })
        } else {
            None
        };
        Page {
            total_count: total,
            items: page.rows.into_iter().map(view).collect(),
            continuation_token: token,
        }
    }
}
