//! The portal's CSRF tokens (API-platform.md §2.2): derived, never stored, from a
//! platform key and what the browser is bound to — its session, or before sign-in its
//! pre-session cookie. A token therefore changes whenever the session does (sign-in,
//! password change) and cannot be chosen by whoever plants a cookie.

use partnerd_domain::ids::SessionId;

use crate::error::AppResult;
use crate::{App, crypto};

/// What a browser's CSRF token is bound to.
#[derive(Debug, Clone, Copy)]
pub enum CsrfBinding<'a> {
    /// A signed-in browser: the session's server-side id (never its bearer token).
    Session(&'a SessionId),
    /// A browser without a session: its `partnerd_presession` cookie.
    Presession(&'a str),
}

impl App {
    /// `base64url(HMAC-SHA-256(K, context ‖ 0x00 ‖ id))`.
    pub async fn csrf_token(&self, binding: CsrfBinding<'_>) -> AppResult<String> {
        let key = self.csrf_key().await?;
        let purpose = match binding {
            CsrfBinding::Session(id) => format!("session\0{id}"),
            CsrfBinding::Presession(value) => format!("presession\0{value}"),
        };
        crypto::derived_token(key, &purpose)
    }

    /// The platform key CSRF tokens are derived from; made on first use and shared by
    /// every replica through the database, next to the link key.
    async fn csrf_key(&self) -> AppResult<&[u8]> {
        let key = self
            .0
            .csrf_key
            .get_or_try_init(|| async {
                let mut conn = self.db().conn().await?;
                let hex_key = partnerd_store::customers::platform_secret(
                    &mut conn,
                    "portal_csrf",
                    crypto::new_platform_key,
                    self.now(),
                )
                .await?;
                Ok::<_, crate::AppError>(hex_key.into_bytes())
            })
            .await?;
        Ok(key)
    }
}
