//! The page frame (header, menu, main), form helpers and the error page.

use maud::{DOCTYPE, Markup, html};
use partnerd_app::{AppError, Principal};
use partnerd_domain::FieldError;
use partnerd_domain::policy::Action;
use partnerd_domain::roles::Program;

use crate::context;
use crate::pages::{PageUser, csrf_field};

/// One entry of the menu: shown only when the policy allows its action.
struct MenuItem {
    href: &'static str,
    label: &'static str,
    action: Action,
    /// A programme the organisation must be in for the entry to make sense.
    program: Option<Program>,
    /// Only for organisations that set their own prices (indirect providers and
    /// resellers).
    seller: bool,
}

const MENU: &[(&str, &[MenuItem])] = &[
    (
        "Home",
        &[
            MenuItem {
                href: "/",
                label: "Dashboard",
                action: Action::ReadOwnOrganization,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/attention",
                label: "Waiting on you",
                action: Action::ReadOwnOrganization,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Operator",
        &[
            MenuItem {
                href: "/operator/organizations",
                label: "Organizations",
                action: Action::ReadOrganizations,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/operator/enrollments",
                label: "Enrollment review",
                action: Action::ReviewEnrollments,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/operator/registry",
                label: "Membership registry",
                action: Action::ManageRegistry,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Enrollment",
        &[MenuItem {
            href: "/enroll/status",
            label: "Indirect reseller enrollment",
            action: Action::ManageEnrollment,
            program: None,
            seller: false,
        }],
    ),
    (
        "Sell",
        &[
            MenuItem {
                href: "/customers",
                label: "Customers",
                action: Action::ReadCustomers,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/catalog",
                label: "Catalog",
                action: Action::ReadCatalog,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Billing",
        &[
            MenuItem {
                href: "/billing/prices",
                label: "Price lists",
                action: Action::ReadRepricingConfigs,
                program: None,
                seller: true,
            },
            MenuItem {
                href: "/billing/invoices",
                label: "Invoices",
                action: Action::ReadBilling,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/billing/unbilled",
                label: "Unbilled charges",
                action: Action::ReadBilling,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/billing/runs",
                label: "Billing runs",
                action: Action::RunBilling,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Your partners",
        &[MenuItem {
            href: "/partners",
            label: "Partners",
            action: Action::ReadPartnerRelationships,
            program: None,
            seller: false,
        }],
    ),
    (
        "Partners",
        &[
            MenuItem {
                href: "/partners/resellers",
                label: "Indirect resellers",
                action: Action::ManageResellerInvitations,
                program: Some(Program::IndirectProvider),
                seller: false,
            },
            MenuItem {
                href: "/partners/providers",
                label: "Indirect providers",
                action: Action::ReadRelationships,
                program: Some(Program::IndirectReseller),
                seller: false,
            },
            MenuItem {
                href: "/directory",
                label: "Provider directory",
                action: Action::ReadProviderDirectory,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Support",
        &[
            MenuItem {
                href: "/support",
                label: "Service requests",
                action: Action::ReadServiceRequests,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/health",
                label: "Service health",
                action: Action::ReadServiceHealth,
                program: None,
                seller: false,
            },
        ],
    ),
    (
        "Activity",
        &[MenuItem {
            href: "/activity",
            label: "Activity log",
            action: Action::ReadAuditRecords,
            program: None,
            seller: false,
        }],
    ),
    (
        "Account settings",
        &[
            MenuItem {
                href: "/settings/users",
                label: "User management",
                action: Action::ManageUsers,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/settings/profiles",
                label: "Partner profiles",
                action: Action::ViewPartnerProfiles,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/settings/directory-listing",
                label: "Directory listing",
                action: Action::EditDirectoryListing,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/settings/api-keys",
                label: "API keys",
                action: Action::ManageApiKeys,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/settings/webhooks",
                label: "Webhooks",
                action: Action::ManageWebhooks,
                program: None,
                seller: false,
            },
            MenuItem {
                href: "/account/permissions",
                label: "What can I do?",
                action: Action::ReadOwnOrganization,
                program: None,
                seller: false,
            },
        ],
    ),
];

/// Whether the organisation sets prices of its own (API-billing.md §5.2).
fn sets_prices(p: &Principal) -> bool {
    p.organization
        .programs
        .iter()
        .any(|g| matches!(g, Program::IndirectProvider | Program::IndirectReseller))
}

fn menu(p: &Principal, current: &str) -> Markup {
    html! {
        nav.menu aria-label="Main menu" {
            @for (group, items) in MENU {
                @let visible: Vec<&MenuItem> = items
                    .iter()
                    .filter(|i| p.may(i.action) && i.program.is_none_or(|prog| p.organization.programs.contains(&prog)) && (!i.seller || sets_prices(p)))
                    .collect();
                @if !visible.is_empty() {
                    h2 { (group) }
                    ul {
                        @for item in visible {
                            @let here = current == item.href || (item.href != "/" && current.starts_with(item.href));
                            li { a href=(item.href) aria-current=[here.then_some("page")] { (item.label) } }
                        }
                    }
                }
            }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · partnerd" }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/app.js" defer {}
        }
    }
}

/// A page for a signed-in user.
pub fn page(title: &str, user: &PageUser, csrf: &str, body: Markup) -> Markup {
    let p = &user.principal;
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "partnerd" }
                    div.who {
                        @if let Some(u) = &p.user { (u.display_name()) " · " }
                        (p.organization.name)
                        form.inline method="post" action="/signout" {
                            (csrf_field(csrf))
                            " · " button.link type="submit" { "Sign out" }
                        }
                    }
                }
                div.layout {
                    (menu(p, &user.path))
                    main #main { h1 { (title) } (body) }
                }
            }
        }
    }
}

/// A page without the menu (sign-in, password change, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top { a.brand href="/" { "partnerd" } }
                main.narrow #main { h1 { (title) } (body) }
            }
        }
    }
}

/// The error page: what happened, what to do, and the request id for support.
pub fn error_page(e: &AppError) -> Markup {
    bare(
        crate::problem::title_of(e),
        html! {
            div.alert.error role="alert" { p { (capitalize(&e.detail())) "." } }
            @for f in e.field_errors() { p.field-error { (f.pointer) ": " (f.message) } }
            p.muted { "Request id: " code { (context::current_request_id()) } }
            p { a href="/" { "Back to the dashboard" } }
        },
    )
}

pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Errors of a form, by field.
#[derive(Default, Debug)]
pub struct FormErrors {
    pub general: Option<String>,
    pub fields: Vec<FieldError>,
}

impl FormErrors {
    /// Field errors go next to their field; everything else on top of the form.
    pub fn from_app(e: &AppError) -> Self {
        if e.field_errors().is_empty() {
            Self {
                general: Some(capitalize(&e.detail())),
                fields: vec![],
            }
        } else {
            Self {
                general: None,
                fields: e.field_errors().to_vec(),
            }
        }
    }

    pub fn for_field(&self, pointer: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.pointer == pointer || f.pointer.starts_with(&format!("{pointer}/")))
            .map(|f| f.message.as_str())
    }
}

/// A labelled input with its hint and error.
pub fn field(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    hint: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let described = format!("{id}-hint {id}-error");
    html! {
        label for=(id) { (label) }
        input id=(id) name=(id) type=(kind) value=(value) autocomplete=(autocomplete)
            aria-invalid=[error.map(|_| "true")] aria-describedby=(described);
        @if let Some(h) = hint { p.hint id=(format!("{id}-hint")) { (h) } }
        @if let Some(e) = error { p.field-error id=(format!("{id}-error")) { (capitalize(e)) } }
    }
}

/// "1 offer", "3 offers".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The page for an action the application refused (a conflict, a stale form, a
/// rule): the reason, nothing changed, and the way back.
pub fn nothing_changed(
    user: &PageUser,
    csrf: &str,
    back: (&str, &str),
    e: &AppError,
) -> axum::response::Response {
    refused("Nothing was changed", user, csrf, back, e)
}

/// [`nothing_changed`] under a title that names what did not happen.
pub fn refused(
    title: &str,
    user: &PageUser,
    csrf: &str,
    back: (&str, &str),
    e: &AppError,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let detail = e
        .field_errors()
        .first()
        .map(|f| f.message.clone())
        .unwrap_or(e.detail().into_owned());
    let body = html! {
        div.alert.error role="alert" { (capitalize(&detail)) "." }
        p { a href=(back.0) { (back.1) } }
    };
    (crate::problem::status_of(e), page(title, user, csrf, body)).into_response()
}

/// What a confirmation page asks before an act that cannot be taken back.
pub struct Confirm<'a> {
    /// The page's title.
    pub title: &'a str,
    /// The question, naming what the act affects.
    pub question: Markup,
    /// What happens afterwards, in plain words.
    pub consequences: Option<Markup>,
    /// Where the form posts.
    pub action: String,
    /// The label of the one button that does it.
    pub button: &'a str,
    /// Where the way back leads, and its label ("Cancel" unless told).
    pub cancel: String,
    pub cancel_label: &'a str,
    /// Whether the button is marked as dangerous (it is unless the act is harmless).
    pub danger: bool,
    /// Whether the form offers an optional reason (told to the other side).
    pub reason: bool,
    /// Fields the act needs besides the CSRF token, such as an entity tag.
    pub hidden: Vec<(&'a str, String)>,
}

impl<'a> Confirm<'a> {
    /// A confirmation with the question, the action and its button; the rest empty.
    pub fn new(title: &'a str, question: Markup, action: String, button: &'a str) -> Self {
        Self {
            title,
            question,
            consequences: None,
            action,
            button,
            cancel: "/".to_owned(),
            cancel_label: "Cancel",
            danger: true,
            reason: false,
            hidden: Vec::new(),
        }
    }

    pub fn consequences(mut self, text: Markup) -> Self {
        self.consequences = Some(text);
        self
    }

    pub fn cancel(mut self, href: impl Into<String>) -> Self {
        self.cancel = href.into();
        self
    }

    /// A way back with its own label, such as "Keep it as it is".
    pub fn cancel_as(mut self, href: impl Into<String>, label: &'a str) -> Self {
        self.cancel = href.into();
        self.cancel_label = label;
        self
    }

    /// An act that needs confirming without being dangerous (turning a setting on).
    pub fn harmless(mut self) -> Self {
        self.danger = false;
        self
    }

    pub fn with_reason(mut self) -> Self {
        self.reason = true;
        self
    }

    pub fn hidden(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.hidden.push((name, value.into()));
        self
    }

    /// The whole page: the question, what follows, the button and the way back.
    pub fn page(self, user: &PageUser, csrf: &str) -> Markup {
        let body = html! {
            div.card {
                p { (self.question) }
                @if let Some(c) = &self.consequences { p { (c) } }
                form method="post" action=(self.action) {
                    (csrf_field(csrf))
                    @for (name, value) in &self.hidden { input type="hidden" name=(name) value=(value); }
                    @if self.reason {
                        label for="reason" { "Reason (optional)" }
                        textarea #reason name="reason" rows="2" {}
                    }
                    button.danger[self.danger] type="submit" { (self.button) }
                    " "
                    a.button.secondary href=(self.cancel) { (self.cancel_label) }
                }
            }
        };
        page(self.title, user, csrf, body)
    }
}
