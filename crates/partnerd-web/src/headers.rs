//! The response headers every answer carries (API-platform.md §2.1): API, pages,
//! operational endpoints, assets, and the errors the router and middleware make
//! themselves. They are the outermost layers of [`crate::router`], so nothing
//! answers without them.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// Pages load only their own script, styles and images, post only to themselves and
/// are never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// One year; sent only when the public URL is https (a plain-http deployment, as in
/// development, must not pin browsers to https).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Everything but `/assets/*` (whose handlers say `public, max-age=3600`) may carry
/// a session token, a secret, a temporary password or a personal link, so nothing
/// else is stored by a browser or a proxy.
pub const NO_STORE: &str = "no-store";

/// Wraps the whole router in the §2.1 headers. Handlers do not set them, except the
/// assets' `Cache-Control`, which is therefore only added where absent.
pub fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>, public_url: &str) -> Router<S> {
    let fixed: [(HeaderName, &'static str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
    ];
    let hsts = public_url
        .starts_with("https://")
        .then(|| HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    let mut router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static(NO_STORE),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ));
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}
