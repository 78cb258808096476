//! Sign-in, the forced (or voluntary) password change, and sign-out.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use partnerd_app::AppError;
use partnerd_app::auth::{ChangePasswordInput, SignInInput};
use partnerd_domain::password::MIN_CHARS;
use serde::Deserialize;

use crate::AppState;
use crate::extract::ReqCtx;
use crate::pages::layout::{FormErrors, bare, field};
use crate::pages::{
    Confirmed, Cookies, CsrfForm, CsrfToken, PageError, PageUser, cookie, csrf_field, local_path,
    see_other,
};

/// The pages of this area and the forms they post to.
pub fn router() -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/signin", get(signin_page).post(signin_submit))
        .route("/password", get(password_page).post(password_submit))
        .route("/signout", post(signout))
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn signin_form(csrf: &str, email: &str, next: &str, errors: &FormErrors) -> Markup {
    bare(
        "Sign in",
        html! {
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/signin" novalidate {
                (csrf_field(csrf))
                input type="hidden" name="next" value=(next);
                (field("email", "Work e-mail", "email", email, "username", None, errors.for_field("/email")))
                (field("password", "Password", "password", "", "current-password", None, errors.for_field("/password")))
                button type="submit" { "Sign in" }
            }
            p { "New to partnerd? " a href="/enroll" { "Enroll as an indirect reseller" } }
        },
    )
}

pub async fn signin_page(CsrfToken(csrf): CsrfToken, Query(q): Query<NextQuery>) -> Markup {
    signin_form(
        &csrf,
        "",
        &local_path(q.next.as_deref()),
        &FormErrors::default(),
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub fn set_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn signin_submit(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<Response, PageError> {
    let next = local_path(form.next.as_deref());
    match s
        .app
        .sign_in(
            &ctx,
            Ok(SignInInput {
                email: form.email.clone(),
                password: form.password,
            }),
        )
        .await
    {
        Ok(signed) => {
            let target = if signed.password_change_required {
                "/password".to_owned()
            } else {
                next
            };
            let mut res = see_other(&target);
            let max_age = s.app.config().session_ttl_ms / 1000;
            set_cookie(&mut res, &Cookies::new(&s).session(&signed.token, max_age));
            Ok(res)
        }
        Err(e)
            if matches!(
                e,
                AppError::Unauthenticated | AppError::InvalidCredentials(_)
            ) || matches!(e, AppError::Validation(_))
                || matches!(e, AppError::RateLimited { .. }) =>
        {
            let status = crate::problem::status_of(&e);
            Ok((
                status,
                signin_form(&csrf.0, &form.email, &next, &FormErrors::from_app(&e)),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn password_form(csrf: &str, forced: bool, errors: &FormErrors) -> Markup {
    bare(
        if forced {
            "Choose your password"
        } else {
            "Change your password"
        },
        html! {
            @if forced {
                div.alert.warning role="status" {
                    "You signed in with a temporary password. Choose your own password to continue; until then nothing else is available."
                }
            }
            @if let Some(g) = &errors.general { div.alert.error role="alert" { (g) } }
            form method="post" action="/password" novalidate {
                (csrf_field(csrf))
                (field("current_password", if forced { "Temporary password" } else { "Current password" }, "password", "", "current-password", None, errors.for_field("/currentPassword")))
                (field("new_password", "New password", "password", "", "new-password",
                    Some(&format!("At least {MIN_CHARS} characters. A few unrelated words make a strong, memorable password.")),
                    errors.for_field("/newPassword")))
                (field("confirm_password", "Repeat the new password", "password", "", "new-password", None, errors.for_field("/confirmPassword")))
                button type="submit" { "Save password" }
            }
        },
    )
}

pub async fn password_page(user: PageUser, CsrfToken(csrf): CsrfToken) -> Markup {
    password_form(
        &csrf,
        user.principal.is_restricted(),
        &FormErrors::default(),
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn password_submit(
    State(s): State<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    ReqCtx(ctx): ReqCtx,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let forced = user.principal.is_restricted();
    if form.new_password != form.confirm_password {
        let errors = FormErrors {
            general: None,
            fields: vec![partnerd_domain::FieldError::invalid(
                "/confirmPassword",
                "the two new passwords differ",
            )],
        };
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            password_form(&csrf.0, forced, &errors),
        )
            .into_response());
    }
    let input = ChangePasswordInput {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match s
        .app
        .change_password(&user.principal, &ctx, Ok(input))
        .await
    {
        Ok(new) => {
            let mut res = Redirect::to("/").into_response();
            let max_age = s.app.config().session_ttl_ms / 1000;
            set_cookie(&mut res, &Cookies::new(&s).session(&new.token, max_age));
            Ok(res)
        }
        Err(e)
            if matches!(
                e,
                AppError::Unauthenticated | AppError::InvalidCredentials(_)
            ) || matches!(e, AppError::Validation(_)) =>
        {
            let mut errors = FormErrors::from_app(&e);
            if matches!(e, AppError::InvalidCredentials(_)) {
                errors = FormErrors {
                    general: None,
                    fields: vec![partnerd_domain::FieldError::invalid(
                        "/currentPassword",
                        "this is not your current password",
                    )],
                };
            }
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                password_form(&csrf.0, forced, &errors),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn signout(
    State(s): State<AppState>,
    headers: HeaderMap,
    ReqCtx(ctx): ReqCtx,
    _: Confirmed,
) -> Result<Response, PageError> {
    let cookies = Cookies::new(&s);
    if let Some(token) = cookie(&headers, cookies.session_name()) {
        s.app.sign_out_token(&ctx, &token).await?;
    }
    let mut res = Redirect::to("/signin").into_response();
    set_cookie(&mut res, &cookies.clear_session());
    // A new pre-session, so the signed-out browser's token is new too (§2.2).
    set_cookie(
        &mut res,
        &cookies.presession(&partnerd_app::crypto::new_token("")),
    );
    Ok(res)
}
