//! The OpenAPI document: operations come from the `#[utoipa::path]` annotations
//! next to each handler, collected by the same router that serves them, so the
//! document lists exactly the routes that exist.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partnerd API",
        description = "Partner center for two-tier cloud reselling: enrollment, partner users and roles, \
                       provider and reseller connections, customers, commerce, support and audit.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::problem::Problem, crate::problem::ProblemFieldError)),
    tags(
        (name = "Sessions", description = "Sign-in and the caller's own account (API.md §3.1)"),
        (name = "API keys", description = "Credentials for applications (API.md §3.2)"),
        (name = "Users", description = "Users of your organisation, and what each may do (API.md §6)"),
        (name = "Organizations", description = "Organisations and tenants (API.md §4.3)"),
        (name = "Catalog", description = "The vendor's offers and product families (API.md §4.5)"),
        (name = "Providers", description = "Indirect-provider authorisation and the provider directory (API.md §4.2, §13)"),
        (name = "Enrollment", description = "Tenant sign-up and indirect-reseller enrollment (API.md §5)"),
        (name = "Profiles", description = "The partner's legal business, support and membership profiles"),
        (name = "Connections", description = "Provider and reseller invitations and relationships (API.md §7.1–7.2)"),
        (name = "Registry", description = "The membership registry (API.md §4.4)"),
        (name = "Audit", description = "The activity log (API.md §12)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token (pds_…) or an API key (pdk_…)"))
                    .build(),
            ),
        );
    }
}

/// The final document, with the server's version.
pub fn document(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
