//! Account settings > User management: list, add (temporary password shown once),
//! edit roles, disable, reset password, delete with confirmation; and "What can I
//! do?", the permission explainer for people.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::paging::PageParams;
use partnerd_app::users::{
    NewUserInput, PasswordReset, UserChanges, UserEdit, UserFilters, UserPermissions,
};
use partnerd_app::views::User;
use partnerd_app::{AppError, Conflict};
use partnerd_domain::Roles;
use partnerd_domain::ids::UserId;
use partnerd_domain::policy::{Action, role_summary};
use partnerd_domain::roles::Role;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{Confirm, FormErrors, field, page};
use crate::pages::{Confirmed, CsrfForm, CsrfToken, PageError, PageUser, Pairs, blank, csrf_field};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/settings/users", get(list_page))
        .route("/settings/users/new", get(new_page).post(create))
        .route("/settings/users/{id}", get(detail_page).post(update))
        .route(
            "/settings/users/{id}/resetpassword",
            get(reset_confirm).post(reset),
        )
        .route(
            "/settings/users/{id}/delete",
            get(delete_confirm).post(delete),
        )
        .route("/settings/users/{id}/permissions", get(user_permissions))
        .route("/account/permissions", get(my_permissions))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    continuation_token: Option<String>,
    done: Option<String>,
}

fn role_names(u: &User) -> String {
    let roles = Roles::new(u.roles.iter().filter_map(|r| Role::parse(r)).collect());
    let labels: Vec<&str> = roles.iter().map(|r| r.label()).collect();
    if labels.is_empty() {
        "No roles".into()
    } else {
        labels.join(", ")
    }
}

pub async fn list_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let filters = UserFilters {
        role: blank(&q.role),
        q: blank(&q.q),
    };
    let users = s
        .app
        .list_users(
            &user.principal,
            &filters,
            &PageParams {
                size: Some(50),
                continuation_token: blank(&q.continuation_token),
            },
        )
        .await?;
    let next = users.continuation_token.as_ref().map(|t| {
        crate::pages::next_page_link(
            "/settings/users",
            &[("q", &filters.q), ("role", &filters.role)],
            t,
        )
    });
    let notice = match q.done.as_deref() {
        Some("deleted") => Some("The user was deleted and signed out everywhere."),
        _ => None,
    };
    let body = html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        p { a.button href="/settings/users/new" { "Add user" } }
        form.filters method="get" action="/settings/users" role="search" {
            div { label for="q" { "Search" } input #q name="q" type="text" value=(q.q.clone().unwrap_or_default()) placeholder="E-mail or name begins with"; }
            div { label for="role" { "Role" }
                select #role name="role" {
                    option value="" { "Any role" }
                    @for r in Role::ALL { option value=(r.as_str()) selected[q.role.as_deref() == Some(r.as_str())] { (r.label()) } }
                }
            }
            div { button type="submit" { "Search" } }
        }
        @if users.items.is_empty() {
            p.empty { @if filters.q.is_some() || filters.role.is_some() { "No user matches. Try another search." } @else { "No users yet." } }
        } @else {
            table {
                thead { tr { th { "Name" } th { "E-mail" } th { "Roles" } th { "Status" } th { "Last sign-in" } } }
                tbody {
                    @for u in &users.items {
                        tr {
                            td { a href=(format!("/settings/users/{}", u.id)) { (u.display_name()) } }
                            td { (u.email) }
                            td { (role_names(u)) }
                            td { @if u.disabled { "Disabled" } @else if u.must_change_password { "Must choose a password" } @else { "Active" } }
                            td { (u.last_sign_in_at.map_or_else(|| "never".into(), |t| t.to_string())) }
                        }
                    }
                }
            }
            p.muted { (crate::pages::layout::count(users.total_count, "user", "users")) }
            @if let Some(link) = next { p { a href=(link) { "Next page" } } }
        }
    };
    Ok(page("User management", &user, &csrf, body))
}

/// The role choices: one agent role (or none) and any admin roles, each with what
/// it can and cannot do, read from the policy table.
fn role_choices(user: &PageUser, selected: &[Role], errors: &FormErrors) -> Markup {
    let kind = user.principal.organization.kind;
    let may_grant_ga = user.principal.may(Action::ManageGlobalAdmins);
    let agents: Vec<Role> = [Role::AdminAgent, Role::SalesAgent, Role::HelpdeskAgent]
        .into_iter()
        .filter(|r| r.allowed_in(kind))
        .collect();
    let admins: Vec<Role> = [
        Role::GlobalAdmin,
        Role::UserManagementAdmin,
        Role::BillingAdmin,
    ]
    .into_iter()
    .filter(|r| *r != Role::GlobalAdmin || may_grant_ga)
    .collect();
    let describe = |r: Role| {
        let (can, cannot) = role_summary(r, kind);
        html! {
            details.hint {
                summary { "What the " (r.label()) " role can and cannot do" }
                p { strong { "Can: " } (can.join("; ")) "." }
                @if !cannot.is_empty() { p { strong { "Cannot: " } (cannot.join("; ")) "." } }
            }
        }
    };
    let no_agent = !selected.iter().any(|r| r.is_agent());
    html! {
        @if !agents.is_empty() {
            fieldset {
                legend { "Agent role" }
                p.hint { "Agents work with customers. A user holds at most one agent role." }
                div { label { input type="radio" name="agent_role" value="" checked[no_agent]; " Not an agent" } }
                @for r in &agents {
                    div {
                        label { input type="radio" name="agent_role" value=(r.as_str()) checked[selected.contains(r)]; " " (r.label()) }
                        (describe(*r))
                    }
                }
            }
        }
        fieldset {
            legend { "Admin roles" }
            p.hint { "Leave all unticked for \"not an admin\"." }
            @for r in &admins {
                div {
                    label { input type="checkbox" name="admin_roles" value=(r.as_str()) checked[selected.contains(r)]; " " (r.label()) }
                    (describe(*r))
                }
            }
            @if !may_grant_ga { p.hint { "Only a Global admin can grant the Global admin role." } }
        }
        @if let Some(e) = errors.for_field("/roles") { p.field-error role="alert" { (e) } }
    }
}

/// Fields of the add and edit forms (`admin_roles` repeats).
#[derive(Default)]
struct UserForm {
    email: String,
    first_name: String,
    last_name: String,
    roles: Vec<String>,
    disabled: bool,
}

impl From<&Pairs> for UserForm {
    fn from(p: &Pairs) -> Self {
        Self {
            email: p.one("email"),
            first_name: p.one("first_name"),
            last_name: p.one("last_name"),
            roles: p
                .all("agent_role")
                .chain(p.all("admin_roles"))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            disabled: matches!(p.one("disabled").as_str(), "on" | "true"),
        }
    }
}

fn new_user_form(user: &PageUser, csrf: &str, form: &UserForm, errors: &FormErrors) -> Markup {
    let selected: Vec<Role> = form.roles.iter().filter_map(|r| Role::parse(r)).collect();
    html! {
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        form method="post" action="/settings/users/new" novalidate {
            (csrf_field(csrf))
            (field("first_name", "First name", "text", &form.first_name, "off", None, errors.for_field("/firstName")))
            (field("last_name", "Last name", "text", &form.last_name, "off", None, errors.for_field("/lastName")))
            (field("email", "E-mail (the sign-in name)", "email", &form.email, "off", Some("Must not belong to another partnerd user."), errors.for_field("/email")))
            (role_choices(user, &selected, errors))
            button type="submit" { "Add user" }
            " "
            a.button.secondary href="/settings/users" { "Cancel" }
        }
    }
}

pub async fn new_page(user: PageUser, CsrfToken(csrf): CsrfToken) -> Result<Markup, PageError> {
    user.principal.require(Action::ManageUsers)?;
    Ok(page(
        "Add user",
        &user,
        &csrf,
        new_user_form(&user, &csrf, &UserForm::default(), &FormErrors::default()),
    ))
}

fn temporary_password_card(email: &str, password: &str) -> Markup {
    html! {
        div.alert.warning role="status" {
            strong { "Copy the temporary password now. " }
            "It is shown only this once and is never mailed. Give it to the user in person or over a channel you trust; they must choose their own password at first sign-in."
        }
        div.card {
            p { "Sign-in name: " strong { (email) } }
            label for="temporary-password" { "Temporary password" }
            input #temporary-password type="text" readonly value=(password) .secret;
            button.secondary type="button" data-copy="temporary-password" hidden { "Copy password" }
            p #temporary-password-status role="status" aria-live="polite" {}
        }
    }
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let form = UserForm::from(&pairs);
    let input = NewUserInput {
        email: form.email.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        roles: form.roles.clone(),
    };
    match s.app.create_user(&user.principal, &ctx, Ok(input)).await {
        Ok(done) => {
            let body = html! {
                p { (done.user.display_name()) " was added with the roles: " (role_names(&done.user)) "." }
                (temporary_password_card(&done.user.email, &done.temporary_password))
                a.button href="/settings/users" { "Done" }
                " "
                a.button.secondary href="/settings/users/new" { "Add another user" }
            };
            Ok(page("User added", &user, &csrf.0, body).into_response())
        }
        Err(e)
            if matches!(e, AppError::Validation(_)) || matches!(e, AppError::Conflict { .. }) =>
        {
            let mut errors = FormErrors::from_app(&e);
            if e.conflict_kind() == Some(Conflict::EmailInUse) {
                errors = FormErrors {
                    general: None,
                    fields: vec![partnerd_domain::FieldError::invalid(
                        "/email",
                        e.detail().into_owned(),
                    )],
                };
            }
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    "Add user",
                    &user,
                    &csrf.0,
                    new_user_form(&user, &csrf.0, &form, &errors),
                ),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn detail_body(
    user: &PageUser,
    csrf: &str,
    target: &User,
    form: &UserForm,
    errors: &FormErrors,
    notice: Option<&str>,
) -> Markup {
    let selected: Vec<Role> = form.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let is_self = user
        .principal
        .user
        .as_ref()
        .is_some_and(|u| u.id == target.id);
    html! {
        @if let Some(n) = notice { div.alert.success role="status" { (n) } }
        @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
        div.card {
            p { strong { (target.email) } }
            p.muted { "Added " (target.created_at) " · last sign-in " (target.last_sign_in_at.map_or_else(|| "never".into(), |t| t.to_string())) }
            p { a href=(format!("/settings/users/{}/permissions", target.id)) { "What can " (target.first_name) " do?" } }
        }
        form method="post" action=(format!("/settings/users/{}", target.id)) novalidate {
            (csrf_field(csrf))
            input type="hidden" name="etag" value=(target.etag);
            (field("first_name", "First name", "text", &form.first_name, "off", None, errors.for_field("/firstName")))
            (field("last_name", "Last name", "text", &form.last_name, "off", None, errors.for_field("/lastName")))
            (role_choices(user, &selected, errors))
            fieldset {
                legend { "Access" }
                label { input type="checkbox" name="disabled" checked[form.disabled]; " Disabled (cannot sign in; current sessions end at once)" }
            }
            button type="submit" { "Save changes" }
        }
        div.card {
            h2 { "Password and removal" }
            p { a href=(format!("/settings/users/{}/resetpassword", target.id)) { "Reset password" } " — gives a new temporary password and signs the user out everywhere." }
            @if !is_self { p { a href=(format!("/settings/users/{}/delete", target.id)) { "Delete user" } " — removes the user and ends their sessions." } }
        }
    }
}

fn form_of(u: &User) -> UserForm {
    UserForm {
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        roles: u.roles.clone(),
        disabled: u.disabled,
        ..UserForm::default()
    }
}

#[derive(Deserialize)]
pub struct DetailQuery {
    saved: Option<String>,
}

pub async fn detail_page(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<UserId>,
    Query(q): Query<DetailQuery>,
) -> Result<Markup, PageError> {
    let target = s.app.get_user(&user.principal, &id).await?;
    user.principal.require(Action::ManageUsers)?;
    let notice = q
        .saved
        .is_some()
        .then_some("Saved. Role changes apply at once.");
    Ok(page(
        &target.display_name(),
        &user,
        &csrf,
        detail_body(
            &user,
            &csrf,
            &target,
            &form_of(&target),
            &FormErrors::default(),
            notice,
        ),
    ))
}

pub async fn update(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<UserId>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let form = UserForm::from(&pairs);
    let etag = pairs.all("etag").next().map(str::to_owned);
    let changes = UserChanges {
        first_name: Some(form.first_name.clone()),
        last_name: Some(form.last_name.clone()),
        roles: Some(form.roles.clone()),
        disabled: Some(form.disabled),
    };
    match s
        .app
        .save_user(&user.principal, &ctx, &id, etag.as_deref(), changes)
        .await?
    {
        UserEdit::Saved(_) => {
            Ok(Redirect::to(&format!("/settings/users/{id}?saved=1")).into_response())
        }
        UserEdit::Refused {
            error: e,
            current: target,
        } => {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::PreconditionFailed) {
                errors.general = Some("Someone changed this user while you were editing. The page now shows their changes; make yours again.".into());
            }
            let shown = if matches!(e, AppError::PreconditionFailed) {
                form_of(&target)
            } else {
                form
            };
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                page(
                    &target.display_name(),
                    &user,
                    &csrf.0,
                    detail_body(&user, &csrf.0, &target, &shown, &errors, None),
                ),
            )
                .into_response())
        }
    }
}

pub async fn reset_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<UserId>,
) -> Result<Markup, PageError> {
    let target = s.app.get_user(&user.principal, &id).await?;
    user.principal.require(Action::ManageUsers)?;
    Ok(Confirm::new(
        "Reset password",
        html! { "Reset the password of " strong { (target.display_name()) } " (" (target.email) ")?" },
        format!("/settings/users/{}/resetpassword", target.id),
        "Reset password",
    )
    .consequences(html! { "They are signed out everywhere at once and must sign in with the temporary password you get next, then choose their own." })
    .cancel(format!("/settings/users/{}", target.id))
    .page(&user, &csrf))
}

pub async fn reset(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<UserId>,
    _: Confirmed,
) -> Result<Markup, PageError> {
    let PasswordReset {
        user: target,
        password: done,
    } = s.app.reset_password_of(&user.principal, &ctx, &id).await?;
    let body = html! {
        (temporary_password_card(&target.email, &done.temporary_password))
        a.button href=(format!("/settings/users/{id}")) { "Done" }
    };
    Ok(page("Password reset", &user, &csrf.0, body))
}

pub async fn delete_confirm(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<UserId>,
) -> Result<Markup, PageError> {
    let target = s.app.get_user(&user.principal, &id).await?;
    user.principal.require(Action::ManageUsers)?;
    Ok(Confirm::new(
        "Delete user",
        html! { "Delete " strong { (target.display_name()) } " (" (target.email) ")?" },
        format!("/settings/users/{}/delete", target.id),
        "Delete user",
    )
    .consequences(html! { "They can no longer sign in, and their sessions end at once. The activity log keeps what they did. This cannot be undone." })
    .hidden("etag", target.etag.clone())
    .cancel(format!("/settings/users/{}", target.id))
    .page(&user, &csrf))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    etag: Option<String>,
}

pub async fn delete(
    State(s): State<AppState>,
    user: PageUser,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<UserId>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, PageError> {
    s.app
        .delete_user(&user.principal, &ctx, &id, form.etag.as_deref())
        .await?;
    Ok(Redirect::to("/settings/users?done=deleted").into_response())
}

fn permissions_table(items: &[partnerd_app::users::Permission]) -> Markup {
    html! {
        table {
            thead { tr { th { "Action" } th { "Allowed" } th { "Why" } } }
            tbody {
                @for p in items {
                    tr {
                        td { (crate::pages::layout::capitalize(&p.description)) }
                        td { @if p.allowed { "Yes" } @else { "No" } }
                        td { (crate::pages::layout::capitalize(&p.reason)) "." }
                    }
                }
            }
        }
    }
}

/// "What can I do?": every action with its answer and reason.
pub async fn my_permissions(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Markup, PageError> {
    let items = s
        .app
        .explain_permissions(&user.principal, None, None)
        .await?;
    let body = html! {
        p { "What your roles let you do in partnerd, and why. Ask a Global admin or User management admin of your organisation to change your roles." }
        (permissions_table(&items))
    };
    Ok(page("What can I do?", &user, &csrf, body))
}

/// The same for another user of the organisation.
pub async fn user_permissions(
    State(s): State<AppState>,
    user: PageUser,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<UserId>,
) -> Result<Markup, PageError> {
    let UserPermissions {
        user: target,
        permissions: items,
    } = s.app.user_permissions(&user.principal, &id).await?;
    let body = html! {
        p { "What " (target.display_name()) "'s roles (" (role_names(&target)) ") let them do, and why." }
        (permissions_table(&items))
        p { a href=(format!("/settings/users/{id}")) { "Back to " (target.display_name()) } }
    };
    Ok(page(
        &format!("What can {} do?", target.first_name),
        &user,
        &csrf,
        body,
    ))
}
